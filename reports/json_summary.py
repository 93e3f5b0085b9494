"""The JSON summary of a run: every guarantee's verdict, reason, duration and diagnosis, and the cluster
facts. The matrix reads these back."""

from __future__ import annotations

import json
from pathlib import Path

from reports.model import Run

FILE_NAME = "summary.json"


class SummaryUnreadable(Exception):
    """A summary file that is missing, not JSON, or not a run summary."""


def render(run: Run) -> str:
    return json.dumps(run.as_dict(), indent=2, ensure_ascii=False) + "\n"


def write(run: Run, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run), encoding="utf-8")
    return path


def read(path: Path) -> Run:
    """The run in a summary file, or in the summary.json of a run directory."""
    if path.is_dir():
        path = path / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Run.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SummaryUnreadable(f"cannot read run summary {path}: {err}") from err
