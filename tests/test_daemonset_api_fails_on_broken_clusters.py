"""The DaemonSet API guarantees (a collection deleted, the ControllerRevision lifecycle) fail, and say why,
on a cluster whose kube-controller-manager runs without the controller they rely on.

Each case restarts the controller manager of the live kind cluster without one controller, runs one
guarantee in an inner pytest with its waits shortened, and restores the controller manager, also when the
case fails."""

from __future__ import annotations

import re

import pytest
from breakers.control_plane import controllers_disabled
from test_guarantees_fail_on_broken_clusters import run_guarantee

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.nodes import free_workers

pytestmark = pytest.mark.disruptive

COLLECTION_GUARANTEE = "conformance/daemonset/test_collection_list_patch_delete.py"
REVISION_GUARANTEE = "conformance/daemonset/test_controller_revision_lifecycle.py"


def kind_cluster(wc_cluster: ClusterUnderTest) -> ClusterUnderTest:
    if wc_cluster.kind is None:
        pytest.skip("needs a kind cluster brought up by this suite to restart its controller manager")
    return wc_cluster


def test_collection_deletion_fails_naming_the_pods_left_when_the_garbage_collector_is_off(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Without the garbage collector the DaemonSets of the collection are deleted but their pods stay:
    the failure names the first deleted DaemonSet and each of its pods left, with its node."""
    cluster = kind_cluster(wc_cluster)
    workers = sorted(free_workers(cluster.core, 0))
    with controllers_disabled(cluster.kind, ["garbage-collector-controller"]):
        result = run_guarantee(cluster, COLLECTION_GUARANTEE)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    failure = re.search(
        r"timed out after [\d.]+s waiting for apps/v1 DaemonSet (\S+)/agent-1: the (\d+) pods of deleted "
        r"apps/v1 DaemonSet \1/agent-1 \(uid [0-9a-f-]+\) to be gone; last seen: \2 of \2 remain: (.*)",
        output,
    )
    assert failure, f"no failure naming the pods agent-1 left:\n{output[-3000:]}"
    print(failure[0])  # the message a user sees (pytest -s)
    for worker in workers:
        assert re.search(rf"pod agent-1-\w+ \(uid [0-9a-f-]+\) still on {worker} \(Running\)", failure[3]), (
            f"the pod left on {worker} is not named:\n{failure[0]}"
        )
    assert output.strip().splitlines()[-1] == "NOT CONFORMANT: 1 broken", output[-3000:]
    assert "Traceback" not in output


def test_controller_revision_lifecycle_fails_saying_no_revision_is_made_when_the_daemonset_controller_is_off(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Without the daemonset controller nothing makes the DaemonSet's first ControllerRevision: the
    failure says it controls none."""
    cluster = kind_cluster(wc_cluster)
    with controllers_disabled(cluster.kind, ["daemonset-controller"]):
        result = run_guarantee(cluster, REVISION_GUARANTEE)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    failure = re.search(
        r"timed out after [\d.]+s waiting for apps/v1 DaemonSet \S+/agent: a current ControllerRevision; "
        r"last seen: ControllerRevisions it controls: none",
        output,
    )
    assert failure, f"no failure saying the DaemonSet controls no ControllerRevision:\n{output[-3000:]}"
    print(failure[0])  # the message a user sees (pytest -s)
    assert output.strip().splitlines()[-1] == "NOT CONFORMANT: 1 broken", output[-3000:]
    assert "Traceback" not in output
