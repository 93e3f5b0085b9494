"""Two of the claim and local-volume guarantees fail, and say why, on clusters whose admission breaks them:
one strips the owner references of claims (the retention policy cannot work through the garbage
collector), one turns the pod affinity of pods into anti-affinity (the set's pods cannot share a node).

Each case binds a MutatingAdmissionPolicy to the guarantee's namespaces only, runs the guarantee in an inner
pytest against the live cluster, and removes the policy afterwards, also when the case fails."""

from __future__ import annotations

from kubernetes import client
from test_guarantees_fail_on_broken_clusters import broken_as, policy_for, run_guarantee

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pods import toolbox_pod
from fixtures.resources.statefulset_manifests import HOSTNAME_LABEL

# Not disruptive: the breaker acts on the guarantee's namespaces only and no node changes, so the case
# runs beside other tests on the shared cluster.
#: One guarantee runs in the inner pytest: no xdist workers to start.
SERIAL = ["-n", "0"]

RETENTION_GUARANTEE = "conformance/statefulset/test_pvc_retention_policy.py"
RETENTION_TEST = "test_claims_follow_the_retention_policy[whenDeleted=Delete,whenScaled=Retain]"
#: CEL JSON patch: a claim created or updated keeps no owner reference.
STRIP_OWNERS = '[JSONPatch{op: "remove", path: "/metadata/ownerReferences"}]'
HAS_OWNERS = "has(object.metadata.ownerReferences)"

AFFINITY_GUARANTEE = "conformance/statefulset/test_pods_with_affinity_get_volumes_where_they_run.py"
AFFINITY_TEST = "test_pods_with_affinity_run_where_their_volumes_are[Parallel-affinity]"
#: CEL JSON patch: a pod created with required pod affinity gets the same terms as anti-affinity instead.
AFFINITY_TO_ANTI = (
    '[JSONPatch{op: "add", path: "/spec/affinity/podAntiAffinity", value: '
    "Object.spec.affinity.podAntiAffinity{requiredDuringSchedulingIgnoredDuringExecution: "
    "object.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution}}, "
    'JSONPatch{op: "remove", path: "/spec/affinity/podAffinity"}]'
)
HAS_POD_AFFINITY = "has(object.spec.affinity) && has(object.spec.affinity.podAffinity)"


def test_retention_is_broken_naming_each_claim_without_its_owner_when_admission_strips_owner_references(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that removes the ownerReferences of every claim
    created or updated in the guarantee's namespaces. Nothing the guarantee sends is rewritten (it sends no
    claim), but the statefulset controller can never make the set the claims' controller: the whenDeleted
    case is broken naming data-web-0 with no owner where web's UID was expected."""
    policy = dict(
        group="",
        resource="persistentvolumeclaims",
        operations=["CREATE", "UPDATE"],
        json_patch=STRIP_OWNERS,
        condition=HAS_OWNERS,
    )
    with policy_for(wc_cluster, RETENTION_TEST, prefix="wc-strip-claim-owners", **policy) as (
        name,
        namespace,
    ):
        owner = wc_cluster.core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="owner"))
        )
        claim = client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(
                name="owned",
                owner_references=[
                    client.V1OwnerReference(
                        api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid
                    )
                ],
            ),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteOnce"],
                resources=client.V1VolumeResourceRequirements(requests={"storage": "1Mi"}),
            ),
        )

        def in_force() -> None:
            stored = wc_cluster.core.create_namespaced_persistent_volume_claim(
                namespace, claim, dry_run="All"
            )
            if stored.metadata.owner_references:
                raise NotYet(f"a claim created in {namespace} keeps its owner references")

        wait_for(Probe(in_force, "claims created keep no owner", timeout=30, subject=f"policy {name}"))
        result = run_guarantee(wc_cluster, f"{RETENTION_GUARANTEE}::{RETENTION_TEST}", extra=SERIAL)
    broken_as(
        result,
        r"waiting for apps/v1 StatefulSet \S+/web: data-web-0, data-web-1, data-web-2 owned by "
        r"StatefulSet/web uid [\w-]+ \(controller\).*\n?.*data-web-0: owners none, expected StatefulSet/web "
        r"uid [\w-]+",
    )


def test_affinity_is_broken_naming_the_nodes_when_admission_turns_pod_affinity_into_anti_affinity(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that gives every pod created with required pod
    affinity in the guarantee's namespaces the same terms as anti-affinity. The StatefulSet the guarantee
    sends is stored as sent; its pods are not, and spread over the workers: the Parallel affinity case is
    broken naming the node of each pod."""
    policy = dict(
        group="",
        resource="pods",
        operations=["CREATE"],
        json_patch=AFFINITY_TO_ANTI,
        condition=HAS_POD_AFFINITY,
    )
    with policy_for(wc_cluster, AFFINITY_TEST, prefix="wc-affinity-to-anti", **policy) as (name, namespace):
        pod = toolbox_pod("probe", wc_cluster.toolbox_image, labels={"app": "probe"})
        term = client.V1PodAffinityTerm(
            label_selector=client.V1LabelSelector(match_labels={"app": "probe"}), topology_key=HOSTNAME_LABEL
        )
        pod.spec.affinity = client.V1Affinity(
            pod_affinity=client.V1PodAffinity(required_during_scheduling_ignored_during_execution=[term])
        )

        def in_force() -> None:
            stored = wc_cluster.core.create_namespaced_pod(namespace, pod, dry_run="All")
            if stored.spec.affinity.pod_affinity or not stored.spec.affinity.pod_anti_affinity:
                raise NotYet(f"a pod created in {namespace} keeps its pod affinity")

        wait_for(Probe(in_force, "pods created get anti-affinity", timeout=30, subject=f"policy {name}"))
        result = run_guarantee(
            wc_cluster, f"{AFFINITY_GUARANTEE}::{AFFINITY_TEST}", timeout_scale=1, extra=SERIAL
        )
    broken_as(
        result,
        r"pods on different nodes despite affinity: \{'web-0': '\S+', 'web-1': '\S+', 'web-2': '\S+'\}",
    )
