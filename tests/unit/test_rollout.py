from fixtures.observation.event_recorder import PodRecord
from fixtures.observation.rollout import most_surplus, most_unavailable


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
