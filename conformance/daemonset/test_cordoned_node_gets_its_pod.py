"""A cordoned node still gets the pod of a DaemonSet created after the cordon."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import describe_pods
from fixtures.resources.nodes import free_workers

pytestmark = pytest.mark.daemonset


def test_cordoned_node_still_gets_its_daemon_pod(wc_cluster, make_daemonset, node_changes, step) -> None:
    """A DaemonSet created while a node is cordoned (spec.unschedulable, and the node controller's
    node.kubernetes.io/unschedulable:NoSchedule taint) MUST run one Ready pod on that node, as on every
    other node it covers.

    Fails on: a daemonset controller or scheduler that treats a cordoned node as closed to daemon pods (it
    ignores the unschedulable toleration the controller adds, or checks spec.unschedulable): no pod on the
    cordoned node, which the message names."""
    workers = free_workers(wc_cluster.core)
    node = workers[0]

    with step(f"arrange: cordon {node}"):
        node_changes.cordon(node)

    with step("act: create a DaemonSet without tolerations"):
        agent = make_daemonset("agent")

    with step(f"observe: a Ready pod on the cordoned {node}"):
        _, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
        assert node in expected and node in by_node, (
            f"no pod on the cordoned {node}; pods: {describe_pods(by_node)}"
        )
        assert wc_cluster.core.read_node(node).spec.unschedulable, f"{node} is no longer cordoned"
