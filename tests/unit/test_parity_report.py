"""The HTML report's parity section lists each upstream spec with the guarantees covering it and what
they did in the run."""

from __future__ import annotations

from reports import html
from reports.model import FAILED, PASSED, Run, TestResult
from reports.parity import Parity
from reports.parity.claims import COVERED, STRICTER, Claim
from reports.parity.report import NOT_RUN, section, sections_for
from reports.parity.table import MISSING, build
from reports.parity.upstream import load

T0 = 1_763_700_000.0
SIMPLE = "daemon_set.go: should run and stop simple daemon"
ROLLBACK = "daemon_set.go: should rollback without unnecessary restarts"
ON_DELETE = "daemon_set.go: should not update pod when spec was updated and update strategy is OnDelete"


def result(nodeid: str, outcome: str) -> TestResult:
    name = nodeid.rpartition("::")[2]
    return TestResult(nodeid, name, "daemonset", "f", name, T0, T0 + 1, outcome)


def parity_and_run() -> tuple[Parity, Run]:
    upstream = load()
    claims = [
        Claim("conformance/daemonset/test_a.py::test_a", SIMPLE, STRICTER, "judged by UID"),
        Claim("conformance/daemonset/test_b.py::test_b", ROLLBACK, COVERED),
        Claim("conformance/daemonset/test_c.py::test_c", ON_DELETE, COVERED),
        Claim("conformance/daemonset/test_d.py::test_d", ON_DELETE, COVERED),
    ]
    run = Run(
        run_id="r",
        cluster="c",
        start=T0,
        end=T0 + 2,
        results=[
            result("conformance/daemonset/test_a.py::test_a", PASSED),
            result("conformance/daemonset/test_b.py::test_b", FAILED),
        ],
        left_out=["conformance/daemonset/test_c.py::test_c"],
        left_out_reasons={"conformance/daemonset/test_c.py::test_c": "no spare node"},
    )
    return Parity(upstream, build(upstream, claims, ["daemon_set.go"])), run


def test_each_spec_shows_its_guarantees_and_what_they_did_in_the_run() -> None:
    parity, run = parity_and_run()
    page = section(parity, run)
    assert page.startswith('<section id="parity">')
    assert "test/e2e/apps/daemon_set.go" in page and "[Conformance]: 2 of 7 covered" in page
    assert '<a href="#g-0">conformance/daemonset/test_a.py::test_a</a>' in page
    assert '<div class="note">stricter: judged by UID</div>' in page
    assert '<div class="judgement holds">holds</div>' in page
    assert '<div class="judgement broken">broken</div>' in page
    assert '<div class="judgement left-out">left out by request: no spare node</div>' in page
    assert f'<div class="judgement not-run">{NOT_RUN}</div>' in page
    assert page.count(f'<td class="status {MISSING}">{MISSING}</td>') == 7


def test_the_section_stands_before_the_guarantee_details_and_not_in_a_run_of_no_guarantee() -> None:
    parity, run = parity_and_run()
    page = html.render(run, (section(parity, run),))
    assert page.index('id="verdicts"') < page.index('id="parity"') < page.index("<h2>Guarantees</h2>")
    own_tests = Run(run_id="r", cluster="c", start=T0, results=[result("tests/x.py::t", PASSED)])
    assert sections_for(own_tests) == ()


def test_a_suite_that_cannot_be_collected_is_said_in_the_section() -> None:
    parity, run = parity_and_run()
    page = section(Parity(parity.upstream, parity.tables, error="collecting conformance failed"), run)
    assert "collecting conformance failed" in page and "<table>" not in page
