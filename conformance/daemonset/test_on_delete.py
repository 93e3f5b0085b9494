"""A DaemonSet with the OnDelete strategy replaces nothing until a pod is deleted; the replacement has
the new template."""

from __future__ import annotations

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import NotYet, Probe, WaitTimeout, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import (
    daemon_pods_by_node,
    daemonset_manifest,
    generation_observed,
    newest_revision_hash,
    patch_container,
    revision_hash,
    wait_for_daemonset_coverage,
)

pytestmark = pytest.mark.daemonset

QUIET_WINDOW = 15  # seconds in which nothing may be replaced


def test_on_delete_replaces_only_deleted_pods(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """After a template change, no pod may be replaced for a while; once one pod is deleted, its node MUST
    get a Ready pod at the new revision and every other pod MUST stay (same UID, old revision).

    Fails on: a cluster that treats OnDelete like RollingUpdate (the replaced pods are named), or whose
    daemonset controller does not recreate a deleted pod."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: an OnDelete DaemonSet covering its nodes, its pod events recorded"):
        strategy = client.V1DaemonSetUpdateStrategy(type="OnDelete")
        apps.create_namespaced_daemon_set(
            namespace, daemonset_manifest("agent", wc_cluster.toolbox_image, update_strategy=strategy)
        )
        _, nodes, before = wait_for_daemonset_coverage(apps, core, namespace, "agent")
        old = {p.metadata.uid: p for pods in before.values() for p in pods}
        old_revision = newest_revision_hash(apps, namespace, "agent")
        recorder = pod_events(f"{APP_LABEL}=agent")
        recorder.wait_until(lambda records: set(old) <= {r.uid for r in records} or None, "every pod listed")

    with allure.step("act: change the pod template"):
        patch_container(
            apps, namespace, "agent", {"name": "agent", "env": [{"name": "AGENT_REVISION", "value": "2"}]}
        )
        ds = wait_for(
            Probe(
                lambda: generation_observed(apps, namespace, "agent"),
                "the new generation observed",
                timeout=60,
            )
        )
        new_revision = newest_revision_hash(apps, namespace, "agent")
        assert new_revision != old_revision, "the template change made no new ControllerRevision"

    with allure.step(f"observe: nothing is replaced within {QUIET_WINDOW} s"):

        def replacement_seen(records: list) -> str | None:
            changed = [r for r in records if r.kind in ("ADDED", "DELETED") or r.deletion_timestamp]
            return changed[0].line(records[0].monotonic) if changed else None

        with pytest.raises(WaitTimeout):
            seen = recorder.wait_until(replacement_seen, "any pod deleted or created", timeout=QUIET_WINDOW)
            pytest.fail(f"OnDelete replaced a pod without being asked: {seen}")
        assert ds.status.updated_number_scheduled in (0, None)

    victim_node = sorted(nodes)[0]
    victim = before[victim_node][0]
    with allure.step(f"act: delete {victim.metadata.name} on {victim_node}"):
        core.delete_namespaced_pod(victim.metadata.name, namespace)

    with allure.step(
        f"observe: {victim_node} gets a pod at revision {new_revision}, the others are untouched"
    ):

        def replaced() -> dict[str, list[client.V1Pod]]:
            pods = daemon_pods_by_node(core, namespace, "agent")
            here = pods.get(victim_node, [])
            if len(here) != 1 or here[0].metadata.uid == victim.metadata.uid:
                raise NotYet(f"{victim_node}: {[p.metadata.name for p in here]}")
            if not any(c.type == "Ready" and c.status == "True" for c in here[0].status.conditions or []):
                raise NotYet(f"{here[0].metadata.name} on {victim_node} not Ready yet")
            return pods

        pods = wait_for(
            Probe(
                replaced,
                f"a Ready replacement for {victim.metadata.name} on {victim_node}",
                timeout=120,
                subject=f"apps/v1 DaemonSet {namespace}/agent",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
        assert revision_hash(pods[victim_node][0]) == new_revision
        for node in sorted(nodes - {victim_node}):
            (pod,) = pods[node]
            assert pod.metadata.uid in old, f"{node}: {pod.metadata.name} was replaced without being deleted"
            assert revision_hash(pod) == old_revision, (
                f"{node}: {pod.metadata.name} moved to {revision_hash(pod)}"
            )
