"""The HTML report of a run: one self-contained file (inline CSS, no scripts, no fonts, no links out).

It reads like a certificate: the verdict banner (id "verdict"), the cluster facts (id "cluster-facts"), a
summary per area (id "areas"), then every guarantee by its short name and whole MUST text, broken and
not verified first (id "verdicts"), and one folded section per guarantee with its steps and, for a
failure, its diagnosis.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from reports.model import (
    BROKEN,
    FAILED,
    HOLDS,
    NOT_VERIFIED,
    PASSED,
    SKIPPED,
    Run,
    Step,
    TestResult,
    fact_label,
    iso,
)

FILE_NAME = "report.html"

CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --none: #6e7781; --line: #d0d7de;
        --soft: #f6f8fa; --text: #1f2328; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--text);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--none); margin: 0 0 12px; }
.counts { display: flex; gap: 8px; margin: 12px 0; flex-wrap: wrap; }
.count { border-radius: 6px; padding: 6px 12px; color: #fff; font-weight: 600; }
.count.passed { background: var(--pass); } .count.failed { background: var(--fail); }
.count.skipped { background: var(--skip); }
.summary-line { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 15px; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
#cluster-facts th, #matrix-facts tbody th { width: 240px; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.nodeid { color: var(--none); font: 12px ui-monospace, SFMono-Regular, Menlo, monospace;
          word-break: break-all; }
td.verdict { font-weight: 700; text-transform: uppercase; white-space: nowrap; text-align: center; }
td.verdict.passed { color: var(--pass); background: #dafbe1; }
td.verdict.failed { color: var(--fail); background: #ffebe9; }
td.verdict.skipped { color: var(--skip); background: #fff8c5; }
td.verdict.missing { color: var(--none); background: var(--soft); }
.reason { white-space: pre-wrap; word-break: break-word; }
td .reason { font-size: 12px; font-weight: 400; text-transform: none; }
details { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 0 12px; }
details[open] { padding-bottom: 10px; }
summary { cursor: pointer; padding: 8px 0; font-weight: 600; }
.badge { display: inline-block; min-width: 64px; text-align: center; border-radius: 4px; color: #fff;
         font-size: 11px; padding: 1px 6px; margin-right: 8px; text-transform: uppercase; }
.badge.passed { background: var(--pass); } .badge.failed { background: var(--fail); }
.badge.skipped { background: var(--skip); } .badge.none { background: var(--none); }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px;
      overflow-x: auto; white-space: pre-wrap; word-break: break-word;
      font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
ol.steps { margin: 4px 0; padding-left: 22px; }
ol.steps li { margin: 2px 0; }
.step-time { color: var(--none); font-size: 12px; }
footer { margin-top: 32px; color: var(--none); font-size: 12px; }
#verdict { border-radius: 8px; padding: 14px 18px; margin: 12px 0; color: #fff; font-size: 18px;
           font-weight: 700; }
#verdict.conformant { background: var(--pass); } #verdict.not-conformant { background: var(--fail); }
td.judgement.holds { color: var(--pass); } td.judgement.broken { color: var(--fail); }
td.judgement.not-verified { color: var(--skip); }
.promise { font-size: 13px; margin-top: 2px; }
#areas th { width: 240px; }
"""


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def page(title: str, body: str) -> str:
    """A whole HTML document around `body`, styled by the inline CSS only."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def verdict_cell(outcome: str | None, reason: str | None = None, *, with_reason: bool = False) -> str:
    """A table cell with the verdict, coloured; the reason as a tooltip or under the verdict."""
    outcome = outcome or "missing"
    title = f' title="{esc(reason)}"' if reason else ""
    extra = f'<div class="reason">{esc(reason)}</div>' if with_reason and reason else ""
    return f'<td class="verdict {esc(outcome)}"{title}>{esc(outcome)}{extra}</td>'


def counts_bar(run: Run) -> str:
    counts = run.counts()
    boxes = "".join(f'<span class="count {o}">{counts[o]} {o}</span>' for o in (PASSED, FAILED, SKIPPED))
    return f'<div class="counts">{boxes}</div>'


def facts_table(facts: dict[str, str], table_id: str = "cluster-facts") -> str:
    rows = "".join(f"<tr><th>{esc(fact_label(k))}</th><td>{esc(v)}</td></tr>" for k, v in facts.items())
    return f'<table id="{table_id}">{rows}</table>'


def _anchor(index: int) -> str:
    return f"g-{index}"


def verdict_banner(run: Run) -> str:
    """The run's conformance verdict, first thing on the page (nothing for a run of no guarantees)."""
    verdict = run.verdict
    if verdict is None:
        return ""
    kind = "conformant" if verdict.conformant else "not-conformant"
    return f'<div id="verdict" class="{kind}">{esc(verdict.line)}</div>'


_ORDER = {BROKEN: 0, NOT_VERIFIED: 1, HOLDS: 2}


def _ordered(run: Run) -> list[tuple[int, TestResult]]:
    """Guarantees broken first, then not verified, then holding (by area and name); other tests last."""
    return sorted(
        enumerate(run.results),
        key=lambda pair: (
            not pair[1].is_guarantee,
            _ORDER.get(pair[1].judgement, 3),
            pair[1].epic,
            pair[1].short_name,
        ),
    )


def _areas_table(run: Run) -> str:
    """One row per area (DaemonSet, StatefulSet, DNS, network, ...): how many guarantees hold, are broken,
    are not verified; areas with a problem first."""
    areas: dict[str, dict[str, int]] = {}
    for result in run.results:
        if result.is_guarantee:
            counts = areas.setdefault(result.epic, {HOLDS: 0, BROKEN: 0, NOT_VERIFIED: 0})
            counts[result.judgement] += 1
    if not areas:
        return ""
    rows = []
    for area, counts in sorted(areas.items(), key=lambda kv: (-kv[1][BROKEN], -kv[1][NOT_VERIFIED], kv[0])):
        cells = "".join(
            f'<td class="num judgement {key.replace(" ", "-")}">{counts[key]}</td>'
            for key in (BROKEN, NOT_VERIFIED, HOLDS)
        )
        rows.append(f"<tr><th>{esc(area)}</th>{cells}</tr>")
    head = "<thead><tr><th>Area</th><th>Broken</th><th>Not verified</th><th>Holds</th></tr></thead>"
    return (
        f'<section><h2>By area</h2><table id="areas">{head}<tbody>{"".join(rows)}</tbody></table></section>'
    )


def _verdict_table(run: Run) -> str:
    rows = []
    for index, result in _ordered(run):
        rows.append(
            "<tr>"
            f'<td><a href="#{_anchor(index)}">{esc(result.short_name)}</a>'
            f'<div class="promise">{esc(result.promise)}</div>'
            f'<div class="nodeid">{esc(result.nodeid)}</div></td>'
            f"<td>{esc(result.epic)}</td>"
            f"{verdict_cell(result.outcome)}"
            f'<td class="judgement {esc(result.judgement.replace(" ", "-"))}">'
            f"{esc(result.judgement if result.is_guarantee else '')}"
            f"{esc(' (optional, not counted)' if result.optional else '')}</td>"
            f'<td class="reason">{esc(result.reason or "")}</td>'
            f'<td class="num">{format_duration(result.duration)}</td>'
            "</tr>"
        )
    head = (
        "<thead><tr><th>Guarantee</th><th>Area</th><th>Verdict</th><th>Judgement</th>"
        "<th>Reason</th><th>Duration</th></tr></thead>"
    )
    if not rows:
        rows.append('<tr><td colspan="6">No guarantee was run.</td></tr>')
    return f'<table id="verdicts">{head}<tbody>{"".join(rows)}</tbody></table>'


def _left_out_table(run: Run) -> str:
    """The guarantees the user left out, each with why; nothing when none was."""
    verdict = run.verdict
    if verdict is None or not verdict.left_out:
        return ""
    rows = "".join(
        f'<tr><td class="nodeid">{esc(nodeid)}</td>'
        f'<td class="reason">{esc(verdict.left_out_text(nodeid))}</td></tr>'
        for nodeid in verdict.left_out
    )
    head = "<thead><tr><th>Guarantee</th><th>Why it was not checked</th></tr></thead>"
    return (
        f'<section><h2>Left out by request</h2><table id="left-out">{head}<tbody>{rows}</tbody></table>'
        "</section>"
    )


def _steps(steps: list[Step]) -> str:
    if not steps:
        return ""
    items = []
    for step in steps:
        outcome = step.outcome or "none"
        error = f'<div class="reason">{esc(step.error)}</div>' if step.error else ""
        items.append(
            f'<li><span class="badge {esc(outcome)}">{esc(step.outcome or "unfinished")}</span>'
            f'{esc(step.title)} <span class="step-time">({format_duration(step.duration)})</span>'
            f"{error}{_steps(step.steps)}</li>"
        )
    return f'<ol class="steps">{"".join(items)}</ol>'


def _detail(index: int, result: TestResult) -> str:
    parts = [f'<p class="nodeid">{esc(result.nodeid)}</p>']
    if result.description:
        parts.append(f'<p class="reason">{esc(result.description)}</p>')
    labels = f"epic {result.epic} · feature {result.feature} · story {result.story}"
    timing = f"{iso(result.start)} → {iso(result.end)} ({format_duration(result.duration)})"
    parts.append(f'<p class="meta">{esc(labels)}<br>{esc(timing)}</p>')
    if result.reason and result.outcome != FAILED:
        parts.append(f'<p class="reason">{esc(result.outcome)}: {esc(result.reason)}</p>')
    if result.steps:
        parts.append(f"<h3>Steps</h3>{_steps(result.steps)}")
    if result.outcome == FAILED:
        where = f" (in {result.phase})" if result.phase else ""
        parts.append(
            f'<h3>Diagnosis{esc(where)}</h3><p class="reason"><strong>{esc(result.reason)}</strong></p>'
        )
        if result.error:
            parts.append(f"<pre>{esc(result.error)}</pre>")
        for attachment in result.attachments:
            header = f"{attachment.name} ({attachment.content_type}, {attachment.size} bytes)"
            body = (
                f"<pre>{esc(attachment.text)}</pre>"
                if attachment.text is not None
                else "<p>binary, not shown</p>"
            )
            parts.append(f"<h4>{esc(header)}</h4>{body}")
    opened = " open" if result.outcome == FAILED else ""
    return (
        f'<details id="{_anchor(index)}"{opened}><summary><span class="badge {esc(result.outcome)}">'
        f"{esc(result.outcome)}</span>{esc(result.short_name)}</summary>{''.join(parts)}</details>"
    )


def render(run: Run, sections: tuple[str, ...] = ()) -> str:
    """The page; ``sections`` (whole <section> elements, e.g. the parity table) go before the details."""
    started = iso(run.start) or "?"
    meta = (
        f"cluster {run.cluster} · run {run.run_id} · started {started} · "
        f"took {format_duration(run.duration)} · pytest exit status {run.exit_status}"
    )
    error = f'<p class="reason"><strong>Run error:</strong> {esc(run.error)}</p>' if run.error else ""
    body = [
        "<header><h1>Workload conformance report</h1>",
        verdict_banner(run),
        f'<p class="meta">{esc(meta)}</p>{error}',
        counts_bar(run),
        f'<p class="summary-line">{esc(run.summary_line())}</p></header>',
        f"<section><h2>Cluster</h2>{facts_table(run.facts)}</section>",
        _areas_table(run),
        f"<section><h2>Verdicts</h2>{_verdict_table(run)}</section>",
        _left_out_table(run),
        *sections,
        "<section><h2>Guarantees</h2>",
        "".join(_detail(index, result) for index, result in _ordered(run)),
        "</section>",
        "<footer>workload-conformance · a self-contained file: it loads nothing from anywhere</footer>",
    ]
    return page(f"Workload conformance · {run.cluster} · {run.run_id}", "\n".join(body))


def write(run: Run, path: Path, sections: tuple[str, ...] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run, sections), encoding="utf-8")
    return path
