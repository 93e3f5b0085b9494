"""The project's own tests run on three xdist workers by default. The tests that need kind clusters of
their own form two units (OWN_CLUSTER_UNITS), each run in turn by one worker from the start. The worker
left runs everything else on this run's shared cluster, and each of the two joins it once its own
clusters are done. Most of a test's time
is spent waiting on a cluster (the CPUs were 60-70 % idle with a whole suite running on one node), so
clusters side by side shorten the run; the tests that break the shared cluster as a whole still run one
at a time (they are disruptive, and hold its lock alone).

The host fits about seven kind nodes (clusters/host_limits.py), the shared cluster has four, which leaves
room for three more. Each of the three is a lock file (a node slot), always taken in ascending order, so
none waits on another forever: a one-node own cluster holds slot 0, a two-node one slots 1 and 2, a
three-node one all three, and a test adding nodes to the shared cluster (up to two) slots 1 and 2. So the
one-node cluster runs beside the two-node ones or beside added nodes, and the three-node one alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

from clusters.file_lock import FileLock
from fixtures.plugin.concurrency import WORKERS_ENV, default_workers, distribution_chosen

WORKERS = 3
OWN_CLUSTER = "own_cluster"
ADDS_NODES = "adds_nodes"
#: The tests that bring up kind clusters of their own (a file, or one test of it), in units that one worker
#: runs in turn, each in this order. The two units start side by side: the one-node distribution-like
#: cluster beside the two-node broken CNI one (which builds the sample CNI); then the healthy CNI's
#: (three nodes with the one it adds) and the storage one (three) follow the one-node cluster. The
#: scheduler sees test ids only, not marks, so the tests are named here (and collection checks that the
#: list and the marks agree).
OWN_CLUSTER_UNITS = (
    (
        "tests/test_suite_on_a_cluster_laid_out_as_a_distribution.py",
        "tests/test_my_cni.py::test_healthy_cni_passes_the_network_guarantees_and_the_report_names_it",
        "tests/test_my_storage_class.py",
    ),
    ("tests/test_my_cni.py::test_network_without_routes_between_nodes_fails_all_pairs_naming_each_pair",),
)
OWN_CLUSTER_FILES = tuple(
    dict.fromkeys(entry.split("::", 1)[0] for unit in OWN_CLUSTER_UNITS for entry in unit)
)
#: Seconds a test waits for room for its nodes (the own-cluster tests take about 15 minutes in all).
NODE_ROOM_TIMEOUT = 3600
#: Nodes an own cluster has unless its mark says ``own_cluster(nodes=N)``.
OWN_CLUSTER_NODES = 3
#: The node slots an own cluster of N nodes holds.
OWN_CLUSTER_SLOTS = {1: (0,), 2: (1, 2), 3: (0, 1, 2)}
#: Slots a node-adding test holds: nodes it may add at once.
ADDED_NODE_SLOTS = (1, 2)


def workers_for(args: list[str], env: dict[str, str], tests_folder: Path, cwd: Path) -> int:
    """Workers for a run with these arguments: WORKERS for a run of the whole tests folder (README's
    command) that does not choose its own distribution, WC_WORKERS if set; 0 (serial) otherwise."""
    if distribution_chosen(args):
        return 0
    paths = [a for a in args if not a.startswith("-")]
    if not any((cwd / p).resolve() == tests_folder for p in paths):
        return 0
    return default_workers(None, env) if env.get(WORKERS_ENV, "").strip() else WORKERS


def own_clusters_scope(nodeid: str) -> str | None:
    """The scheduling unit of an own-cluster test ("own clusters 1"), None for any other test."""
    path, _, name = nodeid.partition("::")
    function = name.split("[", 1)[0]
    for number, unit in enumerate(OWN_CLUSTER_UNITS, start=1):
        if path in unit or f"{path}::{function}" in unit:
            return f"own clusters {number}"
    return None


class OwnClustersOnTwoWorkers(LoadScopeScheduling):
    """Load scheduling by test file, except that the tests bringing up clusters of their own are the units
    of OWN_CLUSTER_UNITS, handed out first (collection puts them first), so two workers run them from the
    start. A unit of two or more tests keeps its worker from being handed a second unit meanwhile."""

    def _split_scope(self, nodeid: str) -> str:
        return own_clusters_scope(nodeid) or nodeid.split("::", 1)[0]


def check_own_cluster_files(items: list[pytest.Item]) -> None:
    """The files marked own_cluster are exactly those OWN_CLUSTER_FILES names (of those collected), and
    each of their tests is in a unit of OWN_CLUSTER_UNITS."""
    marked = {i.nodeid.split("::", 1)[0] for i in items if i.get_closest_marker(OWN_CLUSTER)}
    unmarked = {i.nodeid.split("::", 1)[0] for i in items if not i.get_closest_marker(OWN_CLUSTER)}
    missing, stray = marked - set(OWN_CLUSTER_FILES), unmarked & set(OWN_CLUSTER_FILES)
    if missing or stray:
        raise pytest.UsageError(
            f"tests/parallel_run.py OWN_CLUSTER_FILES disagrees with the {OWN_CLUSTER} marks: "
            f"marked but not listed {sorted(missing)}, listed but not marked {sorted(stray)}"
        )
    unplaced = [
        i.nodeid for i in items if i.get_closest_marker(OWN_CLUSTER) and not own_clusters_scope(i.nodeid)
    ]
    if unplaced:
        raise pytest.UsageError(f"tests/parallel_run.py OWN_CLUSTER_UNITS has no unit for {unplaced}")


def node_slots(item: pytest.Item) -> tuple[int, ...]:
    """The node slots a test holds while it runs (none for most)."""
    own = item.get_closest_marker(OWN_CLUSTER)
    if own is not None:
        return OWN_CLUSTER_SLOTS[own.kwargs.get("nodes", OWN_CLUSTER_NODES)]
    return ADDED_NODE_SLOTS if item.get_closest_marker(ADDS_NODES) else ()


@contextmanager
def node_room(folder: Path, run_id: str, holder: str, slots: tuple[int, ...]) -> Iterator[None]:
    """Hold these node slots of this run, taken in ascending order."""
    held: list[FileLock] = []
    try:
        for slot in sorted(slots):
            lock = FileLock(folder / f"wc-node-slot-{slot}-{run_id}.lock")
            lock.acquire(holder, timeout=NODE_ROOM_TIMEOUT)
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()
