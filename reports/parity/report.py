"""The "Parity with upstream e2e" section of a run's HTML report (id "parity"): per upstream file, each
spec, the guarantees covering it and how strictly, and what each of them did in this run."""

from __future__ import annotations

from reports.html import esc
from reports.model import Run
from reports.parity import Parity, current
from reports.parity.table import Row

NOT_RUN = "not in this run"
CSS = """
#parity table { table-layout: fixed; margin-bottom: 16px; }
#parity th:nth-child(1) { width: 34%; } #parity th:nth-child(2) { width: 8%; }
#parity th:nth-child(4) { width: 12%; }
#parity td.status { font-weight: 700; white-space: nowrap; }
#parity td.status.stricter, #parity td.status.covered { color: var(--pass); }
#parity td.status.MISSING { color: var(--fail); }
#parity .note { color: var(--none); font-size: 12px; }
#parity .judgement { font-weight: 600; }
#parity .judgement.holds, #parity .judgement.passed { color: var(--pass); }
#parity .judgement.broken, #parity .judgement.failed { color: var(--fail); }
#parity .judgement.not-verified, #parity .judgement.skipped { color: var(--skip); }
#parity .judgement.left-out, #parity .judgement.not-run { color: var(--none); }
"""


def _outcome(nodeid: str, run: Run) -> tuple[str, str, str]:
    """What the guarantee did in this run, its CSS class, and its anchor in the report (or "")."""
    for index, result in enumerate(run.results):
        if result.nodeid == nodeid:
            outcome = result.judgement if result.is_guarantee else result.outcome
            return outcome, outcome.replace(" ", "-"), f"#g-{index}"
    verdict = run.verdict
    if verdict is not None and nodeid in verdict.left_out:
        return verdict.left_out_text(nodeid), "left-out", ""
    return NOT_RUN, "not-run", ""


def _guarantees(row: Row, run: Run) -> tuple[str, str]:
    """The cell naming each guarantee (with its note), and the one saying what each did in this run."""
    named, outcomes = [], []
    for claim in row.claims:
        outcome, kind, anchor = _outcome(claim.nodeid, run)
        name = f'<a href="{anchor}">{esc(claim.nodeid)}</a>' if anchor else esc(claim.nodeid)
        note = f'<div class="note">{esc(claim.parity)}: {esc(claim.note)}</div>' if claim.note else ""
        named.append(f'<div class="nodeid">{name}</div>{note}')
        outcomes.append(f'<div class="judgement {kind}">{esc(outcome)}</div>')
    return "".join(named), "".join(outcomes)


def section(parity: Parity, run: Run) -> str:
    """The whole section; a note instead of the tables when the suite's claims could not be read."""
    head = (
        f"<h2>Parity with upstream e2e (Kubernetes {esc(parity.upstream.kubernetes)})</h2>"
        '<p class="meta">Each upstream spec in scope, the guarantees that cover it wholly (covered) or check '
        "more (stricter), and what they did in this run. <code>wc-report parity</code> prints the same.</p>"
    )
    if parity.error:
        return f'<section id="parity">{head}<p class="reason">{esc(parity.error)}</p></section>'
    parts = [f'<section id="parity"><style>{CSS}</style>{head}']
    for table in parity.tables:
        rows = []
        for row in table.rows:
            tags = " ".join(f"[{t}]" for t in row.shown_tags)
            optional = " (optional: an alpha feature gate)" if row.spec.alpha else ""
            guarantees, outcome = _guarantees(row, run)
            rows.append(
                f'<tr><td>{esc(row.spec.text)} <span class="nodeid">{esc(tags)}{esc(optional)}</span></td>'
                f'<td class="status {esc(row.status)}">{esc(row.status)}</td>'
                f"<td>{guarantees}</td><td>{outcome}</td></tr>"
            )
        parts.append(
            f'<h3>{esc(table.file.path)} <span class="meta">({esc(table.file.scope)}): '
            f"{esc(table.summary())}</span></h3>"
            "<table><thead><tr><th>Upstream spec</th><th>Parity</th><th>Guarantee</th>"
            f"<th>In this run</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    if parity.unknown:
        items = "".join(f"<li>{esc(line)}</li>" for line in parity.unknown)
        parts.append(f'<p class="reason">Claims of specs not in the list:</p><ul>{items}</ul>')
    parts.append("</section>")
    return "".join(parts)


def sections_for(run: Run) -> tuple[str, ...]:
    """The parity section for a run of guarantees (collecting the suite's claims); none for a run of the
    project's own tests. A list that cannot be read is said in the section, never fatal to the report."""
    if run.verdict is None:
        return ()
    try:
        found = current()
    except (OSError, ValueError, KeyError) as err:
        unread = f'<h2>Parity with upstream e2e</h2><p class="reason">{esc(err)}</p>'
        return (f'<section id="parity">{unread}</section>',)
    return (section(found, run),)
