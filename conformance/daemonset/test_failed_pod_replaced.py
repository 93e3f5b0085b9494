"""A daemon pod that failed is replaced on the same node."""

from __future__ import annotations

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import daemon_pods_by_node, daemonset_manifest, wait_for_daemonset_coverage

pytestmark = pytest.mark.daemonset


def test_failed_daemon_pod_is_replaced(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    """When a daemon pod's phase becomes Failed, the DaemonSet controller MUST delete it and create a new
    pod (a new UID) on the same node that becomes Ready.

    Fails on: a cluster whose daemonset controller ignores failed pods (the Failed pod stays, named in
    the message) or is not running at all."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a DaemonSet covering its nodes"):
        apps.create_namespaced_daemon_set(namespace, daemonset_manifest("agent", wc_cluster.toolbox_image))
        _, expected, by_node = wait_for_daemonset_coverage(apps, core, namespace, "agent")
        node = sorted(expected)[0]
        victim = by_node[node][0]

    with allure.step(f"act: mark {victim.metadata.name} on {node} Failed through its status"):
        core.patch_namespaced_pod_status(
            victim.metadata.name, namespace, {"status": {"phase": "Failed", "reason": "WorkloadConformance"}}
        )

    with allure.step(f"observe: a new Ready pod on {node}, the failed one gone"):

        def replaced() -> client.V1Pod:
            pods = daemon_pods_by_node(core, namespace, "agent").get(node, [])
            if any(p.metadata.uid == victim.metadata.uid for p in pods):
                raise NotYet(f"failed pod {victim.metadata.name} (uid {victim.metadata.uid}) still on {node}")
            ready = [
                p
                for p in pods
                if any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
            ]
            if not ready:
                raise NotYet(f"no Ready replacement on {node} yet: {[p.metadata.name for p in pods]}")
            return ready[0]

        replacement = wait_for(
            Probe(
                replaced,
                f"{victim.metadata.name} replaced by a Ready pod on {node}",
                timeout=120,
                subject=f"apps/v1 DaemonSet {namespace}/agent",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
        assert replacement.metadata.uid != victim.metadata.uid
        assert replacement.spec.node_name == node
        wait_for_daemonset_coverage(apps, core, namespace, "agent")
