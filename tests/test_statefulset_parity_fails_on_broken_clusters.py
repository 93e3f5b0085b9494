"""The StatefulSet guarantees added for upstream parity fail, and say why, on clusters where admission
breaks what they promise.

Each case binds a MutatingAdmissionPolicy to the guarantee's namespaces only, runs the guarantee in an inner
pytest against the live cluster, and removes the policy afterwards, also when the case fails."""

from __future__ import annotations

from test_guarantees_fail_on_broken_clusters import broken_as, policy_for, run_guarantee
from test_statefulset_canary_fails_on_a_broken_cluster import partition_reset_for

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pods import toolbox_pod

# Not disruptive: the breaker acts on the guarantee's namespaces only and no node changes, so the case
# runs beside other tests on the shared cluster.

ADOPTION_GUARANTEE = "conformance/statefulset/test_adopts_matching_orphans_and_releases_non_matching_pods.py"
ADOPTION_TEST = "test_adopts_a_matching_orphan_and_releases_a_pod_that_stops_matching"
#: CEL JSON patch a MutatingAdmissionPolicy applies: every pod updated loses its owner references.
STRIP_OWNERS = '[JSONPatch{op: "remove", path: "/metadata/ownerReferences"}]'
HAS_OWNERS = "has(object.metadata.ownerReferences)"
AN_OWNER = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "name": "owner",
    "uid": "00000000-0000-0000-0000-000000000001",
}


def test_adoption_is_broken_naming_the_orphan_when_admission_strips_owner_references_from_pods(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that removes the owner references of every pod
    updated in the guarantee's namespaces, as a policy "protecting" pods from garbage collection might.
    Pods are created with their controllerRef (creation is not touched), but the controller's adoption
    patch is stored without it: the guarantee is broken naming web-0 as left without a controllerRef."""
    policy = dict(
        group="",
        resource="pods",
        operations=["UPDATE"],
        json_patch=STRIP_OWNERS,
        condition=HAS_OWNERS,
    )
    with policy_for(wc_cluster, ADOPTION_TEST, prefix="wc-strip-owners", **policy) as (name, namespace):
        plain = wc_cluster.core.create_namespaced_pod(
            namespace, toolbox_pod("plain", wc_cluster.toolbox_image)
        )

        def in_force() -> None:
            patched = wc_cluster.core.patch_namespaced_pod(
                plain.metadata.name, namespace, {"metadata": {"ownerReferences": [AN_OWNER]}}, dry_run="All"
            )
            if patched.metadata.owner_references:
                raise NotYet(f"a pod updated in {namespace} keeps its owner references")

        wait_for(
            Probe(in_force, "pods updated lose their owner references", timeout=30, subject=f"policy {name}")
        )
        result = run_guarantee(wc_cluster, f"{ADOPTION_GUARANTEE}::{ADOPTION_TEST}")
    broken_as(
        result,
        r"timed out after [\d.]+ ?s waiting for apps/v1 StatefulSet \S+/web: web-0 controlled by StatefulSet "
        r"web \(uid [\w-]+\).*\n?.*web-0 has no controllerRef",
    )


HELD_GUARANTEE = "conformance/statefulset/test_partition_holds_a_deleted_pod_held_by_a_finalizer.py"
HELD_TEST = "test_a_held_pod_deleted_under_a_finalizer_comes_back_at_its_revision[a-container-exits-1]"


def test_held_pod_is_broken_naming_it_when_admission_resets_the_partition(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with the MutatingAdmissionPolicy that sets the partition of every StatefulSet
    updated in the guarantee's namespaces back to 0. The set is created with partition=1 as sent, but its
    template change then rolls out to web-0 too: held by its finalizer, it is deleted instead of kept at
    the current revision, and the guarantee is broken naming web-0."""
    with partition_reset_for(wc_cluster, HELD_TEST):
        result = run_guarantee(wc_cluster, f"{HELD_GUARANTEE}::{HELD_TEST}")
    broken_as(
        result,
        # web-0 is deleted either before the rollout looks done or in the window after it
        r"timed out after [\d.]+ ?s waiting for apps/v1 StatefulSet \S+/web: Ready at their revisions: "
        r"web-0 at \S+, web-1 at \S+, web-2 at \S+; last seen: web-0: missing"
        r"|the set deleted web-0 below the partition within [\d.]+ ?s of a [\d.]+ ?s window in which web-0 "
        r"untouched must hold: \+ *[\d.]+s \w+ +web-0 uid=\S+ .*deletionTimestamp=",
    )
