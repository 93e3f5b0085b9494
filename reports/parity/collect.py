"""Collect the guarantees of a suite folder (pytest --collect-only, in a child process: nothing connects
to a cluster) and return the claims their ``upstream`` markers make.

The child loads this module as a plugin (``-p reports.parity.collect``), which writes the claims as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from reports.parity.claims import Claim, claims_of_item

SUITE = Path(__file__).resolve().parents[2] / "conformance"
OUT_OPTION = "--wc-parity-claims"
TIMEOUT = 300  # seconds; collecting the suite takes about one


class CollectFailed(RuntimeError):
    """The suite could not be collected (an import error, a bad marker): pytest's own words."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(OUT_OPTION, metavar="FILE", help="write the upstream claims of the collected tests here")


def pytest_collection_finish(session: pytest.Session) -> None:
    out = session.config.getoption(OUT_OPTION)
    if out:
        claims = [claim.as_dict() for item in session.items for claim in claims_of_item(item)]
        Path(out).write_text(json.dumps({"guarantees": [i.nodeid for i in session.items], "claims": claims}))


def collect(suite: Path = SUITE) -> tuple[list[str], list[Claim]]:
    """The node ids of the suite's guarantees and the claims they make. Node ids are relative to the
    project folder above the suite (where pyproject.toml is), as in a run's reports."""
    with tempfile.TemporaryDirectory(prefix="wc-parity-") as tmp:
        out = Path(tmp) / "claims.json"
        argv = [
            sys.executable, "-m", "pytest", str(suite), "--collect-only", "-q",
            "-p", "no:cacheprovider", "-p", __name__, OUT_OPTION, str(out),
        ]  # fmt: skip
        env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
        try:
            done = subprocess.run(
                argv, cwd=suite.parent, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise CollectFailed(f"collecting {suite} took over {TIMEOUT} s") from err
        if done.returncode != 0 or not out.is_file():
            said = (done.stdout + done.stderr).strip().splitlines()
            raise CollectFailed(
                f"collecting {suite} failed (pytest exit {done.returncode}):\n" + "\n".join(said[-30:])
            )
        data = json.loads(out.read_text())
    return data["guarantees"], [Claim.from_dict(claim) for claim in data["claims"]]
