"""A cordoned node still gets the pod of a DaemonSet created after the cordon."""

from __future__ import annotations

import allure
import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import (
    daemonset_manifest,
    describe_pods,
    untainted_workers,
    wait_for_daemonset_coverage,
)
from fixtures.resources.node_changes import NodeChanges

pytestmark = pytest.mark.daemonset


def test_cordoned_node_still_gets_its_daemon_pod(
    wc_cluster: ClusterUnderTest, namespace: str, node_changes: NodeChanges
) -> None:
    """A DaemonSet created while a node is cordoned (spec.unschedulable, and the node controller's
    node.kubernetes.io/unschedulable:NoSchedule taint) MUST run one Ready pod on that node, as on every
    other node it covers.

    Fails on: a daemonset controller or scheduler that treats a cordoned node as closed to daemon pods (it
    ignores the unschedulable toleration the controller adds, or checks spec.unschedulable): no pod on the
    cordoned node, which the message names."""
    core, apps = wc_cluster.core, wc_cluster.apps
    workers = untainted_workers(core)
    if not workers:
        pytest.skip("needs a schedulable untainted worker")
    node = workers[0]

    with allure.step(f"arrange: cordon {node}"):
        node_changes.cordon(node)

    with allure.step("act: create a DaemonSet without tolerations"):
        apps.create_namespaced_daemon_set(namespace, daemonset_manifest("agent", wc_cluster.toolbox_image))

    with allure.step(f"observe: a Ready pod on the cordoned {node}"):
        _, expected, by_node = wait_for_daemonset_coverage(apps, core, namespace, "agent", timeout=120)
        assert node in expected and node in by_node, (
            f"no pod on the cordoned {node}; pods: {describe_pods(by_node)}"
        )
        assert core.read_node(node).spec.unschedulable, f"{node} is no longer cordoned"
