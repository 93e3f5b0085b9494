"""A NoExecute taint added to a node evicts the daemon pods that do not tolerate it, keeps them off the node
while it stays, and leaves the daemon pods that tolerate it running."""

from __future__ import annotations

import time

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import Aborted, NotYet, Probe, scaled, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import (
    daemonset_manifest,
    describe_pods,
    format_toleration,
    node_key,
    pod_deleted,
    untainted_workers,
    wait_for_daemonset_coverage,
)
from fixtures.resources.eligibility import automatic_tolerations
from fixtures.resources.node_changes import NodeChanges

pytestmark = pytest.mark.daemonset

#: Seconds (scaled) the evicted DaemonSet must stay off the tainted node.
HOLD = 15


def test_noexecute_taint_evicts_only_the_untolerating_daemon_pod(
    wc_cluster: ClusterUnderTest, namespace: str, node_changes: NodeChanges
) -> None:
    """When a node gets a NoExecute taint, the pod there of a DaemonSet that does not tolerate it MUST be
    deleted (its UID gone), no pod of that DaemonSet may come back on the node while the taint stays, and
    its desiredNumberScheduled MUST drop by one; the pod there of a DaemonSet that tolerates the taint MUST
    keep running (same UID, Ready).

    Fails on: a cluster where nothing evicts daemon pods for NoExecute taints (the daemonset controller
    keeps an untolerating pod and no taint eviction controller deletes it: pod and node named in the
    message), or where the tolerating pod is evicted or restarted too (named in the message)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    workers = untainted_workers(core)
    if not workers:
        pytest.skip("needs a schedulable untainted worker")
    node = workers[0]
    key, value = node_key(namespace, "evict"), "out"
    taint = f"{key}={value}:NoExecute"
    toleration = client.V1Toleration(key=key, operator="Exists", effect="NoExecute")

    with allure.step(f"arrange: DaemonSets plain (no toleration) and tolerating ({taint}) on {node}"):
        apps.create_namespaced_daemon_set(namespace, daemonset_manifest("plain", wc_cluster.toolbox_image))
        apps.create_namespaced_daemon_set(
            namespace, daemonset_manifest("tolerating", wc_cluster.toolbox_image, tolerations=[toleration])
        )
        _, covered, plain = wait_for_daemonset_coverage(apps, core, namespace, "plain", timeout=120)
        _, _, tolerating = wait_for_daemonset_coverage(apps, core, namespace, "tolerating", timeout=120)
        assert node in plain and node in tolerating, (
            f"no pods of both on {node}: plain {describe_pods(plain)}; tolerating {describe_pods(tolerating)}"
        )
        (victim,), (keeper,) = plain[node], tolerating[node]

    with allure.step(f"act: taint {node} with {taint}"):
        node_changes.taint(node, key, value, "NoExecute")

    with allure.step(f"observe: {victim.metadata.name} evicted from {node}"):
        automatic = {format_toleration(t) for t in automatic_tolerations(host_network=False)}
        own = [format_toleration(t) for t in victim.spec.tolerations or []]
        own = [t for t in own if t not in automatic]
        wait_for(
            Probe(
                lambda: pod_deleted(core, namespace, victim),
                f"pod {victim.metadata.name} of plain, which does not tolerate {taint}, deleted from {node}",
                timeout=120,
                subject=f"apps/v1 DaemonSet {namespace}/plain",
                diagnose=lambda: (
                    f"tolerations of {victim.metadata.name} besides the controller's: "
                    f"{', '.join(own) or 'none'}\n{recent_events(core, namespace)}"
                ),
            )
        )

    with allure.step(f"observe: plain stays off {node}, {keeper.metadata.name} keeps running there"):
        deadline = time.monotonic() + scaled(HOLD)

        def held() -> None:
            on_node = core.list_namespaced_pod(
                namespace, label_selector=f"{APP_LABEL}=plain", field_selector=f"spec.nodeName={node}"
            ).items
            back = {node: [p for p in on_node if p.metadata.uid != victim.metadata.uid]}
            if back[node]:
                raise Aborted(f"{describe_pods(back)} of plain came back on {node} while it carries {taint}")
            current = core.list_namespaced_pod(
                namespace, field_selector=f"metadata.name={keeper.metadata.name}"
            ).items
            if not current or current[0].metadata.uid != keeper.metadata.uid:
                raise Aborted(
                    f"{keeper.metadata.name} ({keeper.metadata.uid}) of tolerating evicted from {node}"
                )
            if current[0].metadata.deletion_timestamp is not None:
                raise Aborted(f"{keeper.metadata.name} of tolerating is being deleted from {node}")
            restarts = sum(s.restart_count for s in current[0].status.container_statuses or [])
            ready = any(c.type == "Ready" and c.status == "True" for c in current[0].status.conditions or [])
            if restarts or not ready:
                raise Aborted(
                    f"{keeper.metadata.name} of tolerating on {node}: {restarts} restarts, Ready {ready}"
                )
            left = deadline - time.monotonic()
            if left > 0:
                raise NotYet(
                    f"plain off {node} and {keeper.metadata.name} Ready; {left:.0f}s of the hold left"
                )

        wait_for(
            Probe(
                held,
                f"no pod of plain on {node} and {keeper.metadata.name} of tolerating Ready there for {HOLD}s",
                timeout=HOLD + 30,
                subject=f"v1 Node {node} tainted {taint}",
                diagnose=lambda: recent_events(core, namespace),
            )
        )

    with allure.step("observe: plain's desiredNumberScheduled one less, tolerating's unchanged"):
        ds, expected, now_plain = wait_for_daemonset_coverage(apps, core, namespace, "plain", timeout=60)
        assert node not in now_plain and expected == covered - {node}, (
            f"plain covered {sorted(covered)} before {taint} on {node}, now {sorted(expected)}: "
            f"{describe_pods(now_plain)}"
        )
        assert ds.status.desired_number_scheduled == len(covered) - 1, (
            f"apps/v1 DaemonSet {namespace}/plain: status.desiredNumberScheduled "
            f"{ds.status.desired_number_scheduled} != {len(covered) - 1} after {taint} on {node}"
        )
        _, _, now_tolerating = wait_for_daemonset_coverage(apps, core, namespace, "tolerating", timeout=60)
        assert [p.metadata.uid for p in now_tolerating.get(node, [])] == [keeper.metadata.uid], (
            f"tolerating on {node} before the taint: {keeper.metadata.name} ({keeper.metadata.uid}); "
            f"after: {describe_pods({node: now_tolerating.get(node, [])})}"
        )
