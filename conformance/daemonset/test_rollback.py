"""Rolling a DaemonSet back to its previous template restarts no pod already on that template."""

from __future__ import annotations

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import (
    daemon_pods_by_node,
    daemonset_covers_eligible_nodes,
    daemonset_manifest,
    patch_container,
    revision_hash,
    wait_for_daemonset_coverage,
)

pytestmark = pytest.mark.daemonset

ABSENT_IMAGE = "localhost/workload-conformance/absent:never"


def test_rollback_restores_the_previous_revision_without_restarts(
    wc_cluster: ClusterUnderTest, namespace: str
) -> None:
    """After a rollout stuck on an image that cannot start, restoring the previous template MUST bring back
    the previous ControllerRevision (same hash) and MUST NOT restart any pod that never left it: their
    names and UIDs stay the same.

    Fails on: a cluster whose daemonset controller creates a new revision for an old template (hashes
    differ) or replaces pods that already run the old template (UIDs named in the message)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a DaemonSet covering its nodes at revision 1"):
        apps.create_namespaced_daemon_set(namespace, daemonset_manifest("agent", wc_cluster.toolbox_image))
        _, expected, by_node = wait_for_daemonset_coverage(apps, core, namespace, "agent")
        original = {p.metadata.uid: p for pods in by_node.values() for p in pods}
        original_hash = {revision_hash(p) for p in original.values()}
        assert len(original_hash) == 1, f"pods on several revisions: {original_hash}"
        (original_hash,) = original_hash

    with allure.step("act: roll out an image that cannot start; the rollout stalls after one pod"):
        patch_container(apps, namespace, "agent", {"name": "agent", "image": ABSENT_IMAGE})

        def stalled() -> dict[str, list[client.V1Pod]]:
            ds = apps.read_namespaced_daemon_set("agent", namespace)
            if (ds.status.observed_generation or 0) < ds.metadata.generation:
                raise NotYet(f"observedGeneration {ds.status.observed_generation} < {ds.metadata.generation}")
            pods = daemon_pods_by_node(core, namespace, "agent")
            new = [
                p.metadata.name for node in pods.values() for p in node if revision_hash(p) != original_hash
            ]
            if len(new) != 1:
                raise NotYet(f"{len(new)} pods on the new revision: {new}")
            return pods

        stalled_pods = wait_for(
            Probe(
                stalled,
                "exactly one pod on the unstartable revision",
                timeout=120,
                subject=f"apps/v1 DaemonSet {namespace}/agent",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
        untouched = {
            p.metadata.uid
            for pods in stalled_pods.values()
            for p in pods
            if revision_hash(p) == original_hash
        }

    with allure.step("act: roll back to the previous template"):
        patch_container(apps, namespace, "agent", {"name": "agent", "image": wc_cluster.toolbox_image})

    with allure.step("observe: every pod back on the original revision, the untouched ones not restarted"):

        def back_on_original() -> dict[str, list[client.V1Pod]]:
            pods = daemon_pods_by_node(core, namespace, "agent")
            off = [
                p.metadata.name for node in pods.values() for p in node if revision_hash(p) != original_hash
            ]
            if off:
                raise NotYet(f"pods not on revision {original_hash}: {off}")
            _, covered, _ = daemonset_covers_eligible_nodes(apps, core, namespace, "agent")
            if covered != expected:
                raise NotYet(f"covering {sorted(covered)}, expected {sorted(expected)}")
            return pods

        final = wait_for(
            Probe(
                back_on_original,
                f"every pod on revision {original_hash} and Ready",
                timeout=180,
                subject=f"apps/v1 DaemonSet {namespace}/agent",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
        final_uids = {p.metadata.uid for pods in final.values() for p in pods}
        restarted = sorted(original[uid].metadata.name for uid in untouched - final_uids)
        assert not restarted, f"pods already on revision {original_hash} were replaced: {restarted}"
        revisions = apps.list_namespaced_controller_revision(namespace).items
        hashes = {(r.metadata.labels or {}).get("controller-revision-hash") for r in revisions}
        assert original_hash in hashes, f"ControllerRevision {original_hash} is gone: {hashes}"
