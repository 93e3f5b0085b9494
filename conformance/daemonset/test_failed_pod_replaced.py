"""A daemon pod that failed is deleted from the API and replaced on the same node."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import describe_pods

pytestmark = pytest.mark.daemonset


@pytest.mark.upstream(
    "daemon_set.go: should retry creating failed daemon pods",
    parity="stricter",
    note="the Failed pod gone by name and UID; its replacement a new pod on the same node, Ready; pods "
    "counted by controllerRef UID",
)
def test_failed_daemon_pod_is_replaced(make_daemonset, step) -> None:
    """When a daemon pod's phase becomes Failed, the DaemonSet controller MUST delete it, until it is gone
    from the API (its name and UID no longer found, not merely terminating), and MUST run in its place a
    new pod (a new UID, controlled by the DaemonSet) on the same node that becomes Ready, leaving every
    node with exactly one Ready pod and the status in agreement.

    Fails on: a cluster whose daemonset controller ignores failed pods (the Failed pod stays, named with
    its node and state in the message), deletes them without making a new one (the node without its pod
    is named), or is not running at all."""
    with step("arrange: a DaemonSet covering its nodes"):
        agent = make_daemonset("agent")
        _, expected, by_node = wait_for(agent.covers_eligible_nodes())
        assert expected, "no node is eligible: there is no daemon pod to fail"
        node = sorted(expected)[0]
        (victim,) = by_node[node]

    with step(f"act: mark {victim.metadata.name} on {node} Failed through its status"):
        agent.core.patch_namespaced_pod_status(
            victim.metadata.name,
            agent.namespace,
            {"status": {"phase": "Failed", "reason": "WorkloadConformance"}},
        )

    with step(f"observe: {victim.metadata.name} (uid {victim.metadata.uid}) gone from the API"):
        gone = agent.pods_gone([victim]).described(f"Failed pod {victim.metadata.name} deleted from the API")
        wait_for(gone)

    with step(f"observe: a new Ready pod of the DaemonSet on {node}, every node covered"):
        # pods of the DaemonSet are those it controls (by controllerRef UID), the Failed one excluded
        replacement = wait_for(agent.pod_ready_on(node, replacing=victim, timeout=120))
        _, _, after = wait_for(agent.covers_eligible_nodes())
        assert [p.metadata.uid for p in after[node]] == [replacement.metadata.uid], (
            f"{node} should run {replacement.metadata.name} only; pods: {describe_pods(after)}"
        )
