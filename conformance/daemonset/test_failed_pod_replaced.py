"""A daemon pod that failed is replaced on the same node."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for

pytestmark = pytest.mark.daemonset


def test_failed_daemon_pod_is_replaced(make_daemonset, step) -> None:
    """When a daemon pod's phase becomes Failed, the DaemonSet controller MUST delete it and create a new
    pod (a new UID) on the same node that becomes Ready.

    Fails on: a cluster whose daemonset controller ignores failed pods (the Failed pod stays, named in
    the message) or is not running at all."""
    with step("arrange: a DaemonSet covering its nodes"):
        agent = make_daemonset("agent")
        _, expected, by_node = wait_for(agent.covers_eligible_nodes())
        node = sorted(expected)[0]
        victim = by_node[node][0]

    with step(f"act: mark {victim.metadata.name} on {node} Failed through its status"):
        agent.core.patch_namespaced_pod_status(
            victim.metadata.name,
            agent.namespace,
            {"status": {"phase": "Failed", "reason": "WorkloadConformance"}},
        )

    with step(f"observe: a new Ready pod on {node}, the failed one gone"):
        replacement = wait_for(agent.pod_ready_on(node, replacing=victim, timeout=120))
        assert replacement.metadata.uid != victim.metadata.uid
        assert replacement.spec.node_name == node
        wait_for(agent.covers_eligible_nodes())
