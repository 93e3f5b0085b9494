"""The DaemonSet collection guarantee fails, and says why, on a cluster whose kube-controller-manager runs
without the garbage collector it relies on (the ControllerRevision lifecycle without the daemonset
controller: tests/test_guarantees_fail_without_the_workload_controllers.py).

Each case restarts the controller manager of the live kind cluster without one controller, runs one
guarantee in an inner pytest with its waits shortened, and restores the controller manager, also when the
case fails."""

from __future__ import annotations

import re

import pytest
from breakers.control_plane import controllers_disabled
from test_guarantees_fail_on_broken_clusters import broken_as, run_guarantee

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.nodes import free_workers

pytestmark = pytest.mark.disruptive

COLLECTION_GUARANTEE = "conformance/daemonset/test_collection_list_patch_delete.py"


def broken_without(wc_cluster: ClusterUnderTest, controller: str, guarantee: str, failure: str) -> re.Match:
    """Run ``guarantee`` with kube-controller-manager restarted without ``controller``: it MUST be broken
    (exit 1, the verdict line, no traceback) with a message matching ``failure``, which is printed (what a
    user sees, with pytest -s) and returned."""
    if wc_cluster.kind is None:
        pytest.skip("needs a kind cluster brought up by this suite to restart its controller manager")
    with controllers_disabled(wc_cluster.kind, [controller]):
        result = run_guarantee(wc_cluster, guarantee)
    return broken_as(result, failure)


def test_collection_deletion_fails_naming_the_pods_left_when_the_garbage_collector_is_off(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Without the garbage collector the DaemonSets of the collection are deleted but their pods stay:
    the failure names the first deleted DaemonSet and each of its pods left, with its node."""
    workers = free_workers(wc_cluster.core, 0)
    failure = broken_without(
        wc_cluster,
        "garbage-collector-controller",
        COLLECTION_GUARANTEE,
        r"timed out after [\d.]+s waiting for apps/v1 DaemonSet (\S+)/agent-1: the (\d+) pods of deleted "
        r"apps/v1 DaemonSet \1/agent-1 \(uid [0-9a-f-]+\) to be gone; last seen: \2 of \2 remain: (.*)",
    )
    for worker in workers:
        assert re.search(rf"pod agent-1-\w+ \(uid [0-9a-f-]+\) still on {worker} \(Running\)", failure[3]), (
            f"the pod left on {worker} is not named:\n{failure[0]}"
        )
