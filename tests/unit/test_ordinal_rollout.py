"""The reverse-ordinal rollout judgement, over recorded pod events."""

from __future__ import annotations

from fixtures.observation.event_recorder import PodRecord
from fixtures.observation.ordinal_rollout import reverse_ordinal_problems

OLD = {0: "o0", 1: "o1"}
NEW = {0: "n0", 1: "n1"}


def record(name: str, uid: str, *, ready: bool = False, deleting: bool = False) -> PodRecord:
    return PodRecord(
        kind="MODIFIED",
        received=0.0,
        monotonic=0.0,
        name=name,
        uid=uid,
        phase="Running",
        ready=ready,
        deletion_timestamp="t" if deleting else None,
        node="n",
        resource_version="1",
    )


def test_highest_first_each_replacement_ready_before_the_next_goes_holds() -> None:
    records = [record("web-1", "o1", deleting=True), record("web-1", "n1", ready=True)]
    records += [record("web-0", "o0", deleting=True), record("web-0", "n0", ready=True)]
    assert reverse_ordinal_problems(records, "web", OLD, NEW) == []


def test_lowest_first_is_named() -> None:
    records = [record("web-0", "o0", deleting=True), record("web-1", "o1", deleting=True)]
    records += [record("web-1", "n1", ready=True)]
    problems = reverse_ordinal_problems(records, "web", OLD, NEW)
    assert any("order ['web-0', 'web-1']" in p for p in problems), problems
    assert any("deleted before the new web-1 was Ready" in p for p in problems), problems


def test_an_empty_sample_is_never_a_pass() -> None:
    assert reverse_ordinal_problems([], "web", {}, {})
    assert reverse_ordinal_problems([], "web", OLD, NEW)  # nothing seen: no order, no readiness
