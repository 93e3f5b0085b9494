"""README's test command runs on two workers, the own-cluster tests together on one of them."""

from __future__ import annotations

from pathlib import Path

import parallel_run
import pytest
from parallel_run import OWN_CLUSTER_FILES, OWN_CLUSTERS_SCOPE, OwnClustersOnOneWorker, workers_for

from clusters.kube.waits import WaitTimeout

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["tests"], {}, 3),
        (["tests/"], {}, 3),
        (["tests", "-x"], {}, 3),
        (["tests"], {"WC_WORKERS": "0"}, 0),
        (["tests"], {"WC_WORKERS": "2"}, 2),
        (["tests", "-n", "0"], {}, 0),
        (["tests", "-p", "no:xdist"], {}, 0),
        (["tests/unit"], {}, 0),
        (["tests/test_my_cni.py"], {}, 0),
        (["conformance"], {}, 0),
    ],
)
def test_only_the_whole_tests_folder_gets_three_workers(args: list[str], env: dict, expected: int) -> None:
    assert workers_for(args, env, TESTS, ROOT) == expected


def test_the_own_cluster_tests_are_one_unit_and_the_rest_go_by_file() -> None:
    split = OwnClustersOnOneWorker._split_scope
    for path in OWN_CLUSTER_FILES:
        assert split(None, f"{path}::test_x") == OWN_CLUSTERS_SCOPE  # type: ignore[arg-type]
        assert (ROOT / path).is_file(), path
    assert split(None, "tests/unit/test_waits.py::test_y[a::b]") == "tests/unit/test_waits.py"  # type: ignore[arg-type]


class _Item:
    def __init__(self, nodeid: str, own: bool, **marks: pytest.MarkDecorator) -> None:
        self.nodeid, self._marks = nodeid, dict(marks)
        if own:
            self._marks.setdefault(parallel_run.OWN_CLUSTER, pytest.mark.own_cluster)

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        decorator = self._marks.get(name)
        return decorator.mark if decorator is not None else None


def test_node_slots_leave_room_for_a_one_node_cluster_beside_added_nodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three = _Item("tests/test_my_cni.py::test_a", own=True)
    one = _Item("x::y", own=True, own_cluster=pytest.mark.own_cluster(nodes=1))
    adding = _Item("x::z", own=False, adds_nodes=pytest.mark.adds_nodes)
    assert parallel_run.node_slots(three) == (0, 1, 2)  # type: ignore[arg-type]
    assert parallel_run.node_slots(one) == (0,)  # type: ignore[arg-type]
    assert parallel_run.node_slots(adding) == (1, 2)  # type: ignore[arg-type]
    assert parallel_run.node_slots(_Item("x::w", own=False)) == ()  # type: ignore[arg-type]
    with (
        parallel_run.node_room(tmp_path, "run", "one", (0,)),
        parallel_run.node_room(tmp_path, "run", "adding", (1, 2)),
    ):
        pass
    monkeypatch.setattr(parallel_run, "NODE_ROOM_TIMEOUT", 0.5)
    with (
        parallel_run.node_room(tmp_path, "run", "three", (0, 1, 2)),
        pytest.raises(WaitTimeout, match="held by three"),
        parallel_run.node_room(tmp_path, "run", "adding", (1, 2)),
    ):
        pass


def test_a_marked_file_missing_from_the_list_stops_the_run() -> None:
    with pytest.raises(pytest.UsageError, match="marked but not listed"):
        parallel_run.check_own_cluster_files([_Item("tests/test_new_cluster.py::test_a", own=True)])  # type: ignore[list-item]
    with pytest.raises(pytest.UsageError, match=r"listed but not marked \['tests/test_my_cni.py'\]"):
        parallel_run.check_own_cluster_files([_Item("tests/test_my_cni.py::test_a", own=False)])  # type: ignore[list-item]
    parallel_run.check_own_cluster_files([_Item("tests/test_my_cni.py::test_a", own=True)])  # type: ignore[list-item]
