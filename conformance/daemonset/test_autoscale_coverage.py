"""A DaemonSet covers nodes that join the running cluster and lets go of nodes that leave it."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime

import pytest
from kubernetes import client

from clusters.kube.waits import NotYet, wait_for
from fixtures.resources.node_lifecycle import joined_node

pytestmark = [pytest.mark.daemonset, pytest.mark.disruptive, pytest.mark.slow]


def _condition_time(conditions: list | None, kind: str) -> datetime | None:
    for condition in conditions or []:
        if condition.type == kind and condition.status == "True":
            return condition.last_transition_time
    return None


def test_joining_node_gets_a_pod_and_leaving_node_lets_it_go(
    wc_cluster, node_lifecycle, make_daemonset, step
) -> None:
    """A worker that joins MUST get a Ready pod of the DaemonSet with no change to the DaemonSet; when it
    leaves, its pod MUST be garbage-collected and desiredNumberScheduled MUST drop back.

    Fails on: a cluster whose daemonset controller does not watch nodes (the new node never gets its pod,
    named in the message), or whose pod garbage collector keeps pods of deleted nodes.

    The node joins and leaves the way --wc-node-provider says (kind, the user's commands, or the cluster's
    autoscaler, which may keep the node past the timeout: then its leaving is not verified)."""

    with step("arrange: a DaemonSet covering the current nodes"):
        agent = make_daemonset("agent")
        ds, before, _ = wait_for(agent.covers_eligible_nodes())
        generation = ds.metadata.generation

    with ExitStack() as leave:  # the joined node is removed in its step, or after a failure before it
        with step(f"act: a node joins the running cluster ({node_lifecycle.how})"):
            joined = leave.enter_context(joined_node(node_lifecycle))

        with step(f"observe: {joined} gets a Ready pod, the DaemonSet unchanged"):
            wait_for(agent.pod_ready_on(joined))
            ds, after, by_node = wait_for(agent.covers_eligible_nodes())
            assert after == before | {joined}, f"covered before {sorted(before)}, after {sorted(after)}"
            assert ds.metadata.generation == generation, "the DaemonSet itself changed"
            pod = by_node[joined][0]
            node_ready = _condition_time(wc_cluster.core.read_node(joined).status.conditions, "Ready")
            pod_ready = _condition_time(pod.status.conditions, "Ready")
            seconds = (pod_ready - node_ready).total_seconds()
            step.attach(
                f"{joined}: Node Ready {node_ready.isoformat()}, pod {pod.metadata.name} Ready "
                f"{pod_ready.isoformat()}: {seconds:.0f} s",
                "node Ready to daemon pod Ready",
            )

        with step(f"act: {joined} leaves the cluster"):
            leave.close()

    with step(f"observe: the pod of {joined} is collected and the desired count drops"):

        def released() -> client.V1DaemonSet:
            current = agent.read()
            pods = agent.pods_on(joined)
            if pods:
                raise NotYet(f"pod {pods[0].metadata.name} still on {joined} ({pods[0].status.phase})")
            if current.status.desired_number_scheduled != len(before):
                raise NotYet(
                    f"desiredNumberScheduled {current.status.desired_number_scheduled} != {len(before)}"
                )
            return current

        wait_for(
            agent.probe(
                released,
                f"no pod on {joined} and desiredNumberScheduled back to {len(before)}",
                timeout=180,
            )
        )
        assert set(agent.pods_by_node()) == before
