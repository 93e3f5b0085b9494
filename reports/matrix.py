"""The certification view: one table of guarantee × cluster, built from the JSON summaries of runs.

    wc-matrix --context A --context B [--kubeconfig PATH] [--out DIR] [-- extra pytest args]
    wc-matrix --summary RUN_DIR --summary RUN_DIR [--out DIR]

The first form runs the suite once per kubeconfig context (one after the other), each into
<out>/<context>; the second only reads runs that already happened. Both write <out>/matrix.html and
<out>/matrix.json, and exit 0 only if every cluster has a run with no failed guarantee.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reports import html, json_summary
from reports.model import FACT_LABELS, FAILED, OUTCOMES, Run, TestResult, fact_label

SCHEMA = "workload-conformance/matrix/v1"
HTML_FILE = "matrix.html"
JSON_FILE = "matrix.json"
MISSING = "missing"


@dataclass
class Column:
    """One cluster of the matrix: its run, or why there is none."""

    name: str
    run: Run | None
    problem: str | None = None

    def summary_line(self) -> str:
        return self.run.summary_line() if self.run else f"no run: {self.problem}"

    def passed_all(self) -> bool:
        return self.run is not None and self.problem is None and self.run.counts()[FAILED] == 0


@dataclass
class Row:
    """One guarantee across the clusters; a cluster that did not run it maps to None."""

    nodeid: str
    guarantee: str
    epic: str
    feature: str
    story: str
    results: dict[str, TestResult | None]


def rows(columns: list[Column]) -> list[Row]:
    """Every guarantee any cluster ran, in the order they first appear."""
    by_id: dict[str, Row] = {}
    for column in columns:
        for result in column.run.results if column.run else []:
            row = by_id.get(result.nodeid)
            if row is None:
                row = Row(result.nodeid, result.guarantee, result.epic, result.feature, result.story, {})
                by_id[result.nodeid] = row
            row.results[column.name] = result
    for row in by_id.values():
        row.results = {column.name: row.results.get(column.name) for column in columns}
    return list(by_id.values())


def _cell(result: TestResult | None) -> dict[str, Any]:
    if result is None:
        return {"verdict": MISSING, "reason": "not run on this cluster", "duration_s": None}
    return {"verdict": result.outcome, "reason": result.reason, "duration_s": round(result.duration, 3)}


def as_dict(columns: list[Column]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "clusters": [
            {
                "name": column.name,
                "run_id": column.run.run_id if column.run else None,
                "summary": column.summary_line(),
                "counts": column.run.counts() if column.run else None,
                "exit_status": column.run.exit_status if column.run else None,
                "problem": column.problem,
                "facts": column.run.facts if column.run else {},
            }
            for column in columns
        ],
        "guarantees": [
            {
                "id": row.nodeid,
                "guarantee": row.guarantee,
                "epic": row.epic,
                "feature": row.feature,
                "story": row.story,
                "verdicts": {name: _cell(result) for name, result in row.results.items()},
            }
            for row in rows(columns)
        ],
    }


def _verdicts_table(columns: list[Column], head: str) -> str:
    body = []
    for row in rows(columns):
        cells = "".join(
            html.verdict_cell(result.outcome, result.reason, with_reason=True)
            if result
            else html.verdict_cell(MISSING, "not run on this cluster")
            for result in row.results.values()
        )
        body.append(
            f'<tr><td>{html.esc(row.guarantee)}<div class="nodeid">{html.esc(row.nodeid)}</div></td>'
            f"<td>{html.esc(row.epic)}</td>{cells}</tr>"
        )
    if not body:
        body.append(f'<tr><td colspan="{len(columns) + 2}">No guarantee was run.</td></tr>')
    totals = "".join(f"<td>{html.esc(column.summary_line())}</td>" for column in columns)
    return (
        f'<table id="matrix"><thead><tr><th>Guarantee</th><th>Epic</th>{head}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody><tfoot><tr><th colspan="2">Summary</th>{totals}</tr></tfoot></table>'
    )


def _facts_table(columns: list[Column], head: str) -> str:
    facts = [column.run.facts if column.run else {} for column in columns]
    keys = list(FACT_LABELS)
    keys += [key for one in facts for key in one if key not in keys]
    body = "".join(
        f"<tr><th>{html.esc(fact_label(key))}</th>"
        + "".join(f"<td>{html.esc(one.get(key, ''))}</td>" for one in facts)
        + "</tr>"
        for key in dict.fromkeys(keys)
    )
    return (
        f'<table id="matrix-facts"><thead><tr><th>Fact</th>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def render_html(columns: list[Column]) -> str:
    """The matrix as one self-contained HTML page: verdicts (id "matrix"), then facts side by side."""
    head = "".join(f"<th>{html.esc(column.name)}</th>" for column in columns)
    names = ", ".join(column.name for column in columns)
    body = (
        "<header><h1>Workload conformance matrix</h1>"
        f'<p class="meta">{len(columns)} clusters: {html.esc(names)}</p></header>'
        f"<section><h2>Guarantee × cluster</h2>{_verdicts_table(columns, head)}</section>"
        f"<section><h2>Clusters</h2>{_facts_table(columns, head)}</section>"
        "<footer>workload-conformance · a self-contained file: it loads nothing from anywhere</footer>"
    )
    return html.page(f"Workload conformance matrix · {names}", body)


def write(columns: list[Column], out: Path) -> tuple[Path, Path]:
    """Write matrix.html and matrix.json into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out / HTML_FILE, out / JSON_FILE
    html_path.write_text(render_html(columns), encoding="utf-8")
    json_path.write_text(json.dumps(as_dict(columns), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return html_path, json_path


def dir_name(context: str) -> str:
    """A directory name for a context (contexts may hold '/', ':' and '@')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", context).strip("_") or "context"


def pytest_argv(context: str, kubeconfig: Path, run_dir: Path, suite: str, extra: list[str]) -> list[str]:
    """The pytest command line that runs the suite on one context into run_dir."""
    return [
        sys.executable, "-m", "pytest", suite,
        "--wc-provider", "existing",
        "--wc-kubeconfig", str(kubeconfig),
        "--wc-context", context,
        "--wc-report-dir", str(run_dir),
        *extra,
    ]  # fmt: skip


def run_context(context: str, kubeconfig: Path, out: Path, suite: str, extra: list[str]) -> Column:
    """Run the suite on one context (its output goes straight to the terminal) and read its summary."""
    run_dir = out / dir_name(context)
    print(f" • Running the suite on context {context!r} into {run_dir} ...", flush=True)
    started = time.monotonic()
    exit_status = subprocess.run(
        pytest_argv(context, kubeconfig, run_dir, suite, extra), check=False
    ).returncode
    took = html.format_duration(time.monotonic() - started)
    try:
        column = Column(context, json_summary.read(run_dir))
    except json_summary.SummaryUnreadable as err:
        column = Column(context, None, f"pytest exit status {exit_status}; {err}")
    mark = "✓" if column.passed_all() else "✗"
    print(f" {mark} context {context!r}: {column.summary_line()} ({took})", flush=True)
    return column


def read_column(path: Path) -> Column:
    """A column from an existing run directory (or summary file), named after its cluster."""
    try:
        run = json_summary.read(path)
    except json_summary.SummaryUnreadable as err:
        return Column(path.name, None, str(err))
    name = run.cluster if run.cluster and run.cluster != "unknown" else path.name
    return Column(name, run)


def _unique(columns: list[Column]) -> list[Column]:
    seen: dict[str, int] = {}
    for column in columns:
        seen[column.name] = seen.get(column.name, 0) + 1
        if seen[column.name] > 1:
            column.name = f"{column.name} ({seen[column.name]})"
    return columns


def _default_kubeconfig() -> Path:
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The options, and the pytest arguments given after `--`."""
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="wc-matrix", description="Run the conformance suite on several clusters and compare them."
    )
    parser.add_argument(
        "--context", action="append", default=[], help="kubeconfig context to run on (repeat)"
    )
    parser.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig (default: $KUBECONFIG)")
    parser.add_argument(
        "--summary", action="append", type=Path, default=[], help="existing run directory to include (repeat)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: reports/runs/matrix-*)"
    )
    parser.add_argument("--suite", default="conformance", help="what pytest runs (default: conformance)")
    options = parser.parse_args(argv)
    if not options.context and not options.summary:
        parser.error("give at least one --context or --summary")
    return options, extra


def main(argv: list[str] | None = None) -> int:
    options, extra = parse_args(sys.argv[1:] if argv is None else argv)
    out = options.out or Path("reports", "runs", datetime.now().strftime("matrix-%Y%m%d-%H%M%S"))
    kubeconfig = options.kubeconfig or _default_kubeconfig()
    columns = [run_context(context, kubeconfig, out, options.suite, extra) for context in options.context]
    columns += [read_column(path) for path in options.summary]
    html_path, json_path = write(_unique(columns), out)
    print(f"matrix: {html_path} ({json_path.name})")
    totals = dict.fromkeys(OUTCOMES, 0)
    for column in columns:
        for outcome, count in (column.run.counts() if column.run else {}).items():
            totals[outcome] += count
    print(", ".join(f"{totals[outcome]} {outcome}" for outcome in OUTCOMES))
    return 0 if all(column.passed_all() for column in columns) else 1


if __name__ == "__main__":
    sys.exit(main())
