"""A DaemonSet that does not tolerate a node's NoSchedule taint runs no pod on that node."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import describe_pods
from fixtures.resources.eligibility import expected_node_names
from fixtures.resources.nodes import free_workers, node_key

pytestmark = pytest.mark.daemonset


def test_untolerated_noschedule_taint_keeps_the_daemonset_off_the_node(
    wc_cluster, namespace: str, make_daemonset, node_changes, step
) -> None:
    """A DaemonSet created while a node carries a NoSchedule taint it does not tolerate MUST NOT run a pod
    on that node, and its desiredNumberScheduled MUST be one less than the number of nodes it covers
    without the taint; every other node it covers MUST run its pod.

    Fails on: a scheduler or daemonset controller that ignores taints: a pod lands on the tainted node
    (node and pod named in the message), or desiredNumberScheduled still counts the node."""
    workers = free_workers(wc_cluster.core)
    node = workers[0]
    key, value = node_key(namespace, "keep-off"), "off"
    taint = f"{key}={value}:NoSchedule"

    with step(f"arrange: taint {node} with {taint}"):
        nodes_untainted = wc_cluster.core.list_node().items
        node_changes.taint(node, key, value, "NoSchedule")

    with step("act: create a DaemonSet without tolerations"):
        agent = make_daemonset("agent")

    with step(f"observe: pods on every covered node but {node}, desiredNumberScheduled one less"):
        untainted = expected_node_names(nodes_untainted, agent.read().spec.template.spec)
        assert node in untainted, f"{node} is not covered even without the taint: {sorted(untainted)}"
        ds, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
        assert node not in by_node, (
            f"{describe_pods({node: by_node[node]})} runs on {node}, "
            f"which carries {taint} it does not tolerate"
        )
        assert expected == untainted - {node}, (
            f"covered without the taint: {sorted(untainted)}; with {taint} on {node}: {sorted(expected)}"
        )
        assert ds.status.desired_number_scheduled == len(untainted) - 1, (
            f"{agent.subject}: status.desiredNumberScheduled "
            f"{ds.status.desired_number_scheduled} != {len(untainted) - 1} ({len(untainted)} nodes covered "
            f"without the taint, less {node})"
        )
