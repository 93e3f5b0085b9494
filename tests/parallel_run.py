"""The project's own tests run on three xdist workers by default: one brings up the kind clusters of the
tests that need a cluster of their own (one after another), while the other two run everything else on
this run's shared cluster. Most of a test's time is spent waiting on a cluster (the CPUs were 60-70 %
idle with a whole suite running on one node), so a third worker shortens the run; the tests that break
the shared cluster as a whole still run one at a time (they are disruptive, and hold its lock alone).

The host fits about seven kind nodes (clusters/host_limits.py), the shared cluster has four, which leaves
room for three more: an own cluster takes up to three, a test adding nodes to the shared cluster up to
two. Each of the three is a lock file (a node slot): an own cluster of N nodes holds slots 0..N-1, a
node-adding test slots 1 and 2, always taken in that order, so none waits on another forever. A one-node
own cluster and a node-adding test run side by side; a three-node one and a node-adding test do not.
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
#: The files whose tests bring up kind clusters of their own: the scheduler sees test ids only, not marks,
#: so they are named here (and collection checks that the list and the marks agree).
OWN_CLUSTER_FILES = (
    "tests/test_my_cni.py",
    "tests/test_my_storage_class.py",
    "tests/test_suite_on_a_cluster_laid_out_as_a_distribution.py",
)
OWN_CLUSTERS_SCOPE = "tests that bring up clusters of their own"
#: Seconds a test waits for room for its nodes (the own-cluster tests take about 15 minutes in all).
NODE_ROOM_TIMEOUT = 3600
#: Nodes an own cluster has unless its mark says ``own_cluster(nodes=N)``.
OWN_CLUSTER_NODES = 3
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


class OwnClustersOnOneWorker(LoadScopeScheduling):
    """Load scheduling by test file, except that the tests bringing up clusters of their own are one unit,
    handed out first, so one worker runs them in turn from the start."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return OWN_CLUSTERS_SCOPE if path in OWN_CLUSTER_FILES else path


def check_own_cluster_files(items: list[pytest.Item]) -> None:
    """The files marked own_cluster are exactly those OWN_CLUSTER_FILES names (of those collected)."""
    marked = {i.nodeid.split("::", 1)[0] for i in items if i.get_closest_marker(OWN_CLUSTER)}
    unmarked = {i.nodeid.split("::", 1)[0] for i in items if not i.get_closest_marker(OWN_CLUSTER)}
    missing, stray = marked - set(OWN_CLUSTER_FILES), unmarked & set(OWN_CLUSTER_FILES)
    if missing or stray:
        raise pytest.UsageError(
            f"tests/parallel_run.py OWN_CLUSTER_FILES disagrees with the {OWN_CLUSTER} marks: "
            f"marked but not listed {sorted(missing)}, listed but not marked {sorted(stray)}"
        )


def node_slots(item: pytest.Item) -> tuple[int, ...]:
    """The node slots a test holds while it runs (none for most)."""
    own = item.get_closest_marker(OWN_CLUSTER)
    if own is not None:
        return tuple(range(own.kwargs.get("nodes", OWN_CLUSTER_NODES)))
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
