"""A NoExecute taint added to a node evicts the daemon pods that do not tolerate it, keeps them off the node
while it stays, and leaves the daemon pods that tolerate it running."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import NotYet, holds_for, wait_for
from fixtures.resources.daemonsets import describe_pods, format_toleration
from fixtures.resources.eligibility import automatic_tolerations
from fixtures.resources.nodes import free_workers, node_key
from fixtures.resources.pods import is_ready

pytestmark = pytest.mark.daemonset

#: Seconds the evicted DaemonSet must stay off the tainted node (a quiet window: never scaled).
HOLD = 15


def test_noexecute_taint_evicts_only_the_untolerating_daemon_pod(
    wc_cluster, namespace: str, make_daemonset, node_changes, step
) -> None:
    """When a node gets a NoExecute taint, the pod there of a DaemonSet that does not tolerate it MUST be
    deleted (its UID gone), no pod of that DaemonSet may come back on the node while the taint stays, and
    its desiredNumberScheduled MUST drop by one; the pod there of a DaemonSet that tolerates the taint MUST
    keep running (same UID, Ready).

    Fails on: a cluster where nothing evicts daemon pods for NoExecute taints (the daemonset controller
    keeps an untolerating pod and no taint eviction controller deletes it: pod and node named in the
    message), or where the tolerating pod is evicted or restarted too (named in the message)."""
    workers = free_workers(wc_cluster.core)
    node = workers[0]
    key, value = node_key(namespace, "evict"), "out"
    taint = f"{key}={value}:NoExecute"
    toleration = client.V1Toleration(key=key, operator="Exists", effect="NoExecute")

    with step(f"arrange: DaemonSets plain (no toleration) and tolerating ({taint}) on {node}"):
        plain = make_daemonset("plain")
        tolerating = make_daemonset("tolerating", tolerations=[toleration])
        _, covered, plain_pods = wait_for(plain.covers_eligible_nodes(timeout=120))
        _, _, tolerating_pods = wait_for(tolerating.covers_eligible_nodes(timeout=120))
        assert node in plain_pods and node in tolerating_pods, (
            f"no pods of both on {node}: plain {describe_pods(plain_pods)}; "
            f"tolerating {describe_pods(tolerating_pods)}"
        )
        (victim,), (keeper,) = plain_pods[node], tolerating_pods[node]

    with step(f"act: taint {node} with {taint}"):
        node_changes.taint(node, key, value, "NoExecute")

    with step(f"observe: {victim.metadata.name} evicted from {node}"):
        automatic = {format_toleration(t) for t in automatic_tolerations(host_network=False)}
        own = [format_toleration(t) for t in victim.spec.tolerations or []]
        own = [t for t in own if t not in automatic]
        wait_for(
            plain.pods_gone([victim]).described(
                f"pod {victim.metadata.name} of plain, which does not tolerate {taint} (its tolerations "
                f"besides the controller's: {', '.join(own) or 'none'}), deleted from {node}"
            )
        )

    with step(f"observe: plain stays off {node}, {keeper.metadata.name} keeps running there for {HOLD} s"):

        def plain_off_keeper_running() -> None:
            back = [p for p in plain.pods_on(node) if p.metadata.uid != victim.metadata.uid]
            if back:
                raise NotYet(
                    f"{describe_pods({node: back})} of plain came back on {node} while it carries {taint}"
                )
            kept = tolerating.pods_on(node)
            if [p.metadata.uid for p in kept] != [keeper.metadata.uid]:
                raise NotYet(
                    f"{keeper.metadata.name} ({keeper.metadata.uid}) of tolerating evicted from {node}: "
                    f"tolerating there now {describe_pods({node: kept})}"
                )
            (current,) = kept
            if current.metadata.deletion_timestamp is not None:
                raise NotYet(f"{keeper.metadata.name} of tolerating is being deleted from {node}")
            restarts = sum(s.restart_count for s in current.status.container_statuses or [])
            if restarts or not is_ready(current):
                raise NotYet(
                    f"{keeper.metadata.name} of tolerating on {node}: {restarts} restarts, "
                    f"Ready {is_ready(current)}"
                )

        holds_for(
            plain.probe(
                plain_off_keeper_running,
                f"no pod of plain on {node} and {keeper.metadata.name} of tolerating Ready there",
            ),
            HOLD,
            f"plain came back on {node} or tolerating's pod there was disturbed while {node} carries {taint}",
        )

    with step("observe: plain's desiredNumberScheduled one less, tolerating's unchanged"):
        ds, expected, now_plain = wait_for(plain.covers_eligible_nodes(timeout=60))
        assert node not in now_plain and expected == covered - {node}, (
            f"plain covered {sorted(covered)} before {taint} on {node}, now {sorted(expected)}: "
            f"{describe_pods(now_plain)}"
        )
        assert ds.status.desired_number_scheduled == len(covered) - 1, (
            f"{plain.subject}: status.desiredNumberScheduled "
            f"{ds.status.desired_number_scheduled} != {len(covered) - 1} after {taint} on {node}"
        )
        _, _, now_tolerating = wait_for(tolerating.covers_eligible_nodes(timeout=60))
        assert [p.metadata.uid for p in now_tolerating.get(node, [])] == [keeper.metadata.uid], (
            f"tolerating on {node} before the taint: {keeper.metadata.name} ({keeper.metadata.uid}); "
            f"after: {describe_pods({node: now_tolerating.get(node, [])})}"
        )
