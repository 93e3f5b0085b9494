"""README's test command runs on two workers, the own-cluster tests together on one of them."""

from __future__ import annotations

from pathlib import Path

import parallel_run
import pytest
from parallel_run import OWN_CLUSTER_FILES, OWN_CLUSTERS_SCOPE, OwnClustersOnOneWorker, workers_for

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["tests"], {}, 2),
        (["tests/"], {}, 2),
        (["tests", "-x"], {}, 2),
        (["tests"], {"WC_WORKERS": "0"}, 0),
        (["tests"], {"WC_WORKERS": "3"}, 3),
        (["tests", "-n", "0"], {}, 0),
        (["tests", "-p", "no:xdist"], {}, 0),
        (["tests/unit"], {}, 0),
        (["tests/test_my_cni.py"], {}, 0),
        (["conformance"], {}, 0),
    ],
)
def test_only_the_whole_tests_folder_gets_two_workers(args: list[str], env: dict, expected: int) -> None:
    assert workers_for(args, env, TESTS, ROOT) == expected


def test_the_own_cluster_tests_are_one_unit_and_the_rest_go_by_file() -> None:
    split = OwnClustersOnOneWorker._split_scope
    for path in OWN_CLUSTER_FILES:
        assert split(None, f"{path}::test_x") == OWN_CLUSTERS_SCOPE  # type: ignore[arg-type]
        assert (ROOT / path).is_file(), path
    assert split(None, "tests/unit/test_waits.py::test_y[a::b]") == "tests/unit/test_waits.py"  # type: ignore[arg-type]


class _Item:
    def __init__(self, nodeid: str, own: bool) -> None:
        self.nodeid, self._own = nodeid, own

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self._own and name == parallel_run.OWN_CLUSTER else None


def test_a_marked_file_missing_from_the_list_stops_the_run() -> None:
    with pytest.raises(pytest.UsageError, match="marked but not listed"):
        parallel_run.check_own_cluster_files([_Item("tests/test_new_cluster.py::test_a", own=True)])  # type: ignore[list-item]
    with pytest.raises(pytest.UsageError, match=r"listed but not marked \['tests/test_my_cni.py'\]"):
        parallel_run.check_own_cluster_files([_Item("tests/test_my_cni.py::test_a", own=False)])  # type: ignore[list-item]
    parallel_run.check_own_cluster_files([_Item("tests/test_my_cni.py::test_a", own=True)])  # type: ignore[list-item]
