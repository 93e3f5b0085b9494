"""Optional guarantees (the optional marker: an alpha feature gate) are judged and shown, never counted in
the conformance verdict."""

from __future__ import annotations

from test_report_writers import result, sample_run

from reports import html
from reports.model import FAILED, PASSED, TestResult, judge

ALPHA = "needs the alpha feature gate StatefulSetRecreateStrategy"


def test_an_optional_guarantee_not_verified_leaves_the_verdict_conformant_and_is_shown() -> None:
    results = [
        result("holds", PASSED),
        result("recreate", FAILED, "gate off", not_verified=True, optional=ALPHA),
    ]
    verdict = judge(results, [])
    assert verdict is not None and verdict.conformant
    assert (
        verdict.line == "CONFORMANT: 1 of 1 selected guarantees hold; optional, not counted: 1 not verified"
    )
    assert verdict.optional == {results[1].nodeid: "not verified"}


def test_an_optional_guarantee_broken_is_shown_and_a_counted_one_still_decides() -> None:
    results = [result("broken", FAILED, "no"), result("recreate", FAILED, "wrong", optional=ALPHA)]
    verdict = judge(results, [])
    assert verdict is not None and not verdict.conformant
    assert verdict.line == "NOT CONFORMANT: 1 broken; optional, not counted: 1 broken"


def test_optional_reads_back_from_the_summary() -> None:
    optional = result("recreate", PASSED, optional=ALPHA)
    assert TestResult.from_dict(optional.as_dict()).optional == ALPHA
    assert TestResult.from_dict(result("plain", PASSED).as_dict()).optional == ""


def test_the_html_report_marks_an_optional_guarantee_as_not_counted() -> None:
    run = sample_run(fail=False)
    run.results.append(result("recreate", FAILED, "gate off", not_verified=True, optional=ALPHA))
    page = html.render(run)
    assert "not verified (optional, not counted)" in page
    assert "; optional, not counted: 1 not verified" in page
