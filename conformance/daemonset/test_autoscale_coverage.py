"""A DaemonSet covers nodes that join the running cluster and lets go of nodes that leave it."""

from __future__ import annotations

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import (
    daemon_pods_by_node,
    daemonset_manifest,
    wait_for_daemon_pod_on,
    wait_for_daemonset_coverage,
)

pytestmark = [pytest.mark.daemonset, pytest.mark.disruptive, pytest.mark.slow]


def _condition_time(conditions: list | None, kind: str):  # noqa: ANN202 - a datetime or None
    for condition in conditions or []:
        if condition.type == kind and condition.status == "True":
            return condition.last_transition_time
    return None


def test_joining_node_gets_a_pod_and_leaving_node_lets_it_go(
    wc_cluster: ClusterUnderTest, namespace: str
) -> None:
    """A worker that joins MUST get a Ready pod of the DaemonSet with no change to the DaemonSet; when it
    leaves, its pod MUST be garbage-collected and desiredNumberScheduled MUST drop back.

    Fails on: a cluster whose daemonset controller does not watch nodes (the new node never gets its pod,
    named in the message), or whose pod garbage collector keeps pods of deleted nodes."""
    if wc_cluster.kind is None:
        pytest.skip("needs a kind cluster brought up by this suite to add and remove a node")
    core, apps = wc_cluster.core, wc_cluster.apps

    with allure.step("arrange: a DaemonSet covering the current nodes"):
        apps.create_namespaced_daemon_set(namespace, daemonset_manifest("agent", wc_cluster.toolbox_image))
        ds, before, _ = wait_for_daemonset_coverage(apps, core, namespace, "agent")
        generation = ds.metadata.generation

    joined = None
    try:
        with allure.step("act: a worker joins the running cluster"):
            joined = wc_cluster.kind.add_worker()

        with allure.step(f"observe: {joined.name} gets a Ready pod, the DaemonSet unchanged"):
            wait_for_daemon_pod_on(core, namespace, "agent", joined.name)
            ds, after, by_node = wait_for_daemonset_coverage(apps, core, namespace, "agent")
            assert after == before | {joined.name}, f"covered before {sorted(before)}, after {sorted(after)}"
            assert ds.metadata.generation == generation, "the DaemonSet itself changed"
            pod = by_node[joined.name][0]
            node_ready = _condition_time(core.read_node(joined.name).status.conditions, "Ready")
            pod_ready = _condition_time(pod.status.conditions, "Ready")
            seconds = (pod_ready - node_ready).total_seconds()
            allure.attach(
                f"{joined.name}: Node Ready {node_ready.isoformat()}, pod {pod.metadata.name} Ready "
                f"{pod_ready.isoformat()}: {seconds:.0f} s",
                "node Ready to daemon pod Ready",
                allure.attachment_type.TEXT,
            )

        with allure.step(f"act: {joined.name} leaves the cluster"):
            wc_cluster.kind.remove_worker(joined.name)
            left, joined = joined, None

        with allure.step(f"observe: the pod of {left.name} is collected and the desired count drops"):

            def released() -> client.V1DaemonSet:
                current = apps.read_namespaced_daemon_set("agent", namespace)
                pods = core.list_namespaced_pod(namespace, field_selector=f"spec.nodeName={left.name}").items
                if pods:
                    raise NotYet(f"pod {pods[0].metadata.name} still on {left.name} ({pods[0].status.phase})")
                if current.status.desired_number_scheduled != len(before):
                    raise NotYet(
                        f"desiredNumberScheduled {current.status.desired_number_scheduled} != {len(before)}"
                    )
                return current

            wait_for(
                Probe(
                    released,
                    f"no pod on {left.name} and desiredNumberScheduled back to {len(before)}",
                    timeout=180,
                    subject=f"apps/v1 DaemonSet {namespace}/agent",
                    diagnose=lambda: recent_events(core, namespace),
                )
            )
            assert set(daemon_pods_by_node(core, namespace, "agent")) == before
    finally:
        if joined is not None:
            wc_cluster.kind.remove_worker(joined.name)
