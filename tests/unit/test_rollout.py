from fixtures.observation.event_recorder import PodRecord
from fixtures.observation.rollout import (
    handovers,
    most_doubled,
    most_surge_beside_ready,
    most_surplus,
    most_unavailable,
    state_after,
)


def rec(kind: str, t: float, name: str, node: str, ready: bool, deleting: bool = False) -> PodRecord:
    return PodRecord(
        kind=kind,
        received=t,
        monotonic=t,
        name=name,
        uid=f"uid-{name}",
        phase="Running",
        ready=ready,
        deletion_timestamp="2026-11-21T00:00:00Z" if deleting else None,
        node=node,
        resource_version=str(int(t * 10)),
    )


START = [rec("LISTED", 0, "a1", "n1", True), rec("LISTED", 0, "b1", "n2", True)]


def test_one_node_at_a_time_is_at_most_one_unavailable() -> None:
    events = START + [
        rec("MODIFIED", 1, "a1", "n1", True, deleting=True),
        rec("DELETED", 2, "a1", "n1", False, deleting=True),
        rec("ADDED", 3, "a2", "n1", False),
        rec("MODIFIED", 4, "a2", "n1", True),
        rec("MODIFIED", 5, "b1", "n2", True, deleting=True),
        rec("DELETED", 6, "b1", "n2", False, deleting=True),
        rec("ADDED", 7, "b2", "n2", False),
        rec("MODIFIED", 8, "b2", "n2", True),
    ]
    worst = most_unavailable(events, {"n1", "n2"})
    assert worst.value == 1
    assert most_surplus(events).value == 0


def test_two_nodes_down_at_once_is_caught_mid_rollout_even_if_the_end_is_fine() -> None:
    events = START + [
        rec("MODIFIED", 1, "a1", "n1", True, deleting=True),
        rec("MODIFIED", 1.5, "b1", "n2", True, deleting=True),
        rec("ADDED", 3, "a2", "n1", True),
        rec("ADDED", 4, "b2", "n2", True),
        rec("DELETED", 5, "a1", "n1", False, deleting=True),
        rec("DELETED", 6, "b1", "n2", False, deleting=True),
    ]
    worst = most_unavailable(events, {"n1", "n2"})
    assert worst.value == 2
    assert "n1, n2" in worst.detail and worst.at is not None and worst.at.name == "b1"


def test_surge_counts_extra_pods_side_by_side() -> None:
    events = START + [
        rec("ADDED", 1, "a2", "n1", False),
        rec("MODIFIED", 2, "a2", "n1", True),
        rec("MODIFIED", 3, "a1", "n1", True, deleting=True),
        rec("DELETED", 4, "a1", "n1", False, deleting=True),
    ]
    assert most_surplus(events).value == 1
    assert most_unavailable(events, {"n1", "n2"}).value == 0


def test_a_terminating_pod_is_not_counted_as_running_side_by_side() -> None:
    events = START + [
        rec("MODIFIED", 1, "a1", "n1", True, deleting=True),
        rec("ADDED", 2, "a2", "n1", False),
    ]
    assert most_surplus(events).value == 0


OLD = {"uid-a1", "uid-b1"}


def test_surge_counts_new_pods_not_ready_yet_beside_ready_old_ones() -> None:
    events = START + [
        rec("ADDED", 1, "a2", "n1", False),
        rec("ADDED", 1.1, "b2", "n2", False),
        rec("MODIFIED", 2, "a2", "n1", True),
    ]
    worst = most_surge_beside_ready(events, OLD)
    assert worst.value == 2
    assert worst.at is not None and worst.at.name == "b2"
    assert "n1: a2, n2: b2" in worst.detail


def test_a_new_pod_beside_an_unready_old_one_is_a_replacement_not_surge() -> None:
    events = START + [
        rec("MODIFIED", 1, "a1", "n1", False),
        rec("ADDED", 2, "a2", "n1", False),
        rec("ADDED", 3, "b2", "n2", False),
    ]
    assert most_surge_beside_ready(events, OLD).value == 1
    assert most_surplus(events).value == 2


def test_state_after_includes_the_initial_list() -> None:
    pods = state_after(START)
    assert {p.name for p in pods.values()} == {"a1", "b1"}
    pods = state_after(START + [rec("DELETED", 1, "a1", "n1", False, deleting=True)])
    assert {p.name for p in pods.values()} == {"b1"}


def handover_of(events: list[PodRecord], name: str):
    return next(h for h in handovers(events, OLD) if h.old == name)


def test_an_old_pod_handed_over_after_min_ready_seconds_is_fine() -> None:
    events = START + [
        rec("ADDED", 1, "a2", "n1", False),
        rec("MODIFIED", 2, "a2", "n1", True),
        rec("MODIFIED", 13, "a1", "n1", True, deleting=True),
        rec("DELETED", 15, "a1", "n1", False, deleting=True),
    ]
    handover = handover_of(events, "a1")
    assert (handover.new, handover.ready_for, handover.gone_after) == ("a2", 11, 13)
    assert handover.fault(10, 2, 30) is None
    assert handover_of(events, "b1").fault(10, 2, 30) == "old pod b1 on n2 never began terminating"


def test_an_old_pod_deleted_before_min_ready_seconds_is_named() -> None:
    events = START + [
        rec("ADDED", 1, "a2", "n1", True),
        rec("MODIFIED", 2, "a1", "n1", True, deleting=True),
        rec("DELETED", 3, "a1", "n1", False, deleting=True),
    ]
    fault = handover_of(events, "a1").fault(10, 2, 30)
    assert (
        fault
        == "old pod a1 on n1 began terminating when a2 had been Ready for only 1.0s (minReadySeconds 10)"
    )


def test_a_ready_old_pod_deleted_with_no_ready_new_pod_beside_it_is_named() -> None:
    events = START + [
        rec("ADDED", 1, "a2", "n1", False),
        rec("MODIFIED", 2, "a1", "n1", True, deleting=True),
        rec("ADDED", 3, "b2", "n2", True),
    ]
    fault = handover_of(events, "a1").fault(10, 2, 30)
    assert fault == "old pod a1 on n1 began terminating while Ready, with no new pod Ready on its node"


def test_an_old_pod_that_is_not_ready_may_go_at_once() -> None:
    events = START + [
        rec("MODIFIED", 1, "a1", "n1", False),
        rec("ADDED", 2, "a2", "n1", False),
        rec("MODIFIED", 2.1, "a1", "n1", False, deleting=True),
    ]
    handover = handover_of(events, "a1")
    assert (handover.began, handover.ready, handover.new) == (True, False, None)
    assert handover.fault(10, 2, 30) == "old pod a1 on n1 never gone from the API"
    events.append(rec("DELETED", 4, "a1", "n1", False, deleting=True))
    assert handover_of(events, "a1").fault(10, 2, 30) is None


def test_an_old_pod_that_lingers_is_named() -> None:
    events = START + [
        rec("ADDED", 1, "a2", "n1", True),
        rec("MODIFIED", 12, "a1", "n1", True, deleting=True),
    ]
    assert handover_of(events, "a1").fault(10, 2, 30) == "old pod a1 on n1 never gone from the API"
    events.append(rec("DELETED", 60, "a1", "n1", False, deleting=True))
    assert handover_of(events, "a1").fault(10, 2, 30) == (
        "old pod a1 on n1 gone 59.0s after a2 was Ready, more than minReadySeconds 10 + 30s"
    )


def test_two_new_pods_on_one_node_are_named() -> None:
    events = START + [
        rec("ADDED", 1, "a2", "n1", False),
        rec("ADDED", 2, "a3", "n1", False),
        rec("MODIFIED", 3, "a3", "n1", False, deleting=True),
    ]
    worst = most_doubled(events, OLD)
    assert (worst.value, worst.detail) == (1, "n1: new a2, a3")
    assert most_doubled(events[:3], OLD).value == 0
