"""The side-by-side of one benchmark run against upstream: per upstream spec, e2e.test's verdict and time
and the covering guarantees' verdicts and times; both wall times and their ratio, as a BENCHMARKS.md
section."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clusters.ginkgo_report import PASSED, SpecResult

HOLDS = "holds"
BROKEN = "broken"
NOT_RUN = "not run"
SECTION_HEADING = "## This suite against upstream e2e.test"


@dataclass(frozen=True)
class Judged:
    """One guarantee's outcome in one of this suite's runs."""

    nodeid: str
    judgement: str  # holds, broken, not verified, or not run
    seconds: float


@dataclass(frozen=True)
class SuiteRun:
    """One run of the covering guarantees: how it was run, its wall time, what each guarantee did."""

    mode: str  # e.g. "serial (-n 0)"
    seconds: float
    judged: Mapping[str, Judged]


@dataclass(frozen=True)
class Row:
    """One upstream spec, what e2e.test did with it, and the guarantees that cover it."""

    ref: str
    upstream: SpecResult | None
    guarantees: tuple[str, ...]

    @property
    def upstream_verdict(self) -> str:
        return self.upstream.state if self.upstream else NOT_RUN

    def suite_verdict(self, run: SuiteRun) -> str:
        """holds when every covering guarantee holds; broken when one is broken; else what they were."""
        judgements = [run.judged[n].judgement if n in run.judged else NOT_RUN for n in self.guarantees]
        if not judgements:
            return NOT_RUN
        if all(j == HOLDS for j in judgements):
            return HOLDS
        if BROKEN in judgements:
            return BROKEN
        return next(j for j in judgements if j != HOLDS)

    def same_verdict(self, run: SuiteRun) -> bool:
        """passed and holds, or failed and broken: the two suites say the same of the cluster."""
        upstream_ok = self.upstream_verdict == PASSED
        suite = self.suite_verdict(run)
        return (upstream_ok and suite == HOLDS) or (self.upstream_verdict == "failed" and suite == BROKEN)


def ratio(upstream_seconds: float, suite_seconds: float) -> float:
    return upstream_seconds / suite_seconds if suite_seconds > 0 else float("inf")


def _seconds(run: SuiteRun, nodeids: Sequence[str]) -> str:
    return " + ".join(f"{run.judged[n].seconds:.0f}" if n in run.judged else "-" for n in nodeids)


def render(
    title: str,
    conditions: Sequence[str],
    rows: Sequence[Row],
    upstream_seconds: float,
    runs: Sequence[SuiteRun],
    not_compared: Sequence[str],
) -> str:
    """The dated section: conditions, the per-spec table, the wall times and ratios, what was left out."""
    lines = [f"### {title}", ""]
    lines += [f"- {condition}" for condition in conditions]
    head = "| upstream spec | e2e.test | s |"
    rule = "|---|---|---:|"
    for run in runs:
        head += f" guarantees, {run.mode} | s |"
        rule += "---|---:|"
    lines += ["", head, rule]
    for row in rows:
        spent = f"{row.upstream.seconds:.0f}" if row.upstream else "-"
        cells = [row.ref, row.upstream_verdict, spent]
        for run in runs:
            names = "<br>".join(f"`{n.split('::', 1)[-1]}`" for n in row.guarantees)
            cells += [f"{row.suite_verdict(run)}: {names}", _seconds(run, row.guarantees)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| wall time | s | ratio (e2e.test / this suite) | same verdicts |", "|---|---:|---:|---|"]
    lines.append(f"| upstream e2e.test, serial | {upstream_seconds:.0f} | | |")
    for run in runs:
        same = sum(row.same_verdict(run) for row in rows)
        lines.append(
            f"| this suite, {run.mode} | {run.seconds:.0f} | {ratio(upstream_seconds, run.seconds):.2f} "
            f"| {same} of {len(rows)} |"
        )
    if not_compared:
        lines += ["", f"Not compared (no guarantee covers them yet): {'; '.join(not_compared)}."]
    return "\n".join(lines) + "\n"


def append_section(document: str, section: str) -> str:
    """The document with the section added last under SECTION_HEADING (which is made at the end when
    missing), before the next level-2 heading if there is one."""
    lines = document.rstrip("\n").split("\n")
    if SECTION_HEADING not in lines:
        lines += ["", SECTION_HEADING]
    start = lines.index(SECTION_HEADING) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    added = ["", *section.rstrip("\n").split("\n")]
    rest = lines[end:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    return "\n".join(lines[:end] + added + ([""] + rest if rest else [])) + "\n"
