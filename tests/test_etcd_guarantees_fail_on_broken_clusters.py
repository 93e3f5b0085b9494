"""The etcd guarantees fail, naming the cause, on broken clusters: the member guarantee where storage does
not outlive the pod (a deleted member comes back on a fresh, empty claim), the scaling guarantee where
admission renames the pod a scale-up makes (its peers cannot reach it by its DNS name).

Each breaker acts only on the namespaces of the guarantee under test, which runs in an inner pytest
against the live cluster; it stops afterwards, also when the case fails."""

from __future__ import annotations

from breakers.fresh_claims import claims_deleted_with_pods
from kubernetes import client
from test_guarantees_fail_on_broken_clusters import broken_as, policy_for, run_guarantee

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.namespaces import label_for_test
from fixtures.resources.pods import toolbox_pod

# Not disruptive: the breaker acts on the guarantee's namespaces only and no node changes, so the case
# runs beside other tests on the shared cluster.

MEMBER_GUARANTEE = "conformance/statefulset/clustered_database/test_etcd_member_comes_back_as_itself.py"
MEMBER_TEST = "test_a_deleted_etcd_member_comes_back_with_its_name_claim_and_member_id"
SCALING_GUARANTEE = "conformance/statefulset/clustered_database/test_etcd_scaling_follows_membership.py"
SCALING_TEST = "test_etcd_set_scales_with_the_membership_by_its_highest_ordinal"
#: CEL JSON patch: the pod gets another hostname, so its per-pod DNS name is not the one its set promises.
RENAME_HOSTNAME = '[JSONPatch{op: "replace", path: "/spec/hostname", value: "renamed"}]'
#: Only the pods of ordinal 3 (the one a scale-up to 4 makes) that were given a hostname.
ORDINAL_3 = 'object.metadata.name.endsWith("-3") && has(object.spec.hostname)'


def test_etcd_member_is_broken_naming_the_fresh_claim_when_claims_go_with_their_pods(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster so that the claims of a deleted pod are deleted with it: the StatefulSet then
    gives the new etcd-1 a fresh claim data-etcd-1, on which etcd (same name, same peer URLs, so the same
    member ID) refuses to start because the cluster already has that member. The guarantee is broken naming
    data-etcd-1's new UID."""
    with claims_deleted_with_pods(wc_cluster.core, label_for_test(MEMBER_TEST)) as breaker:
        result = run_guarantee(wc_cluster, f"{MEMBER_GUARANTEE}::{MEMBER_TEST}", timeout_scale=0.5)
    assert any(c.endswith("/data-etcd-1") for c in breaker.deleted), f"the breaker deleted {breaker.deleted}"
    broken_as(result, r"data-etcd-1 is a new claim \(uid [0-9a-f-]+, was [0-9a-f-]+\): etcd-1 lost its data")


def test_etcd_scaling_is_broken_naming_the_hostname_when_admission_renames_the_new_member(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that gives the pods of ordinal 3 created in the
    guarantee's namespaces the hostname "renamed": the set forms with 3 members, but the member the
    scale-up makes, etcd-3, is not etcd-3.etcd in the cluster DNS, so its peers could never reach it. The
    guarantee is broken naming the hostname etcd-3 runs with."""
    policy = dict(
        group="",
        resource="pods",
        operations=["CREATE"],
        json_patch=RENAME_HOSTNAME,
        condition=ORDINAL_3,
    )
    with policy_for(wc_cluster, SCALING_TEST, prefix="wc-rename-ordinal-3", **policy) as (name, namespace):
        pod = toolbox_pod("probe-3", wc_cluster.toolbox_image, hostname="probe-3", subdomain="probe")

        def in_force() -> None:
            stored: client.V1Pod = wc_cluster.core.create_namespaced_pod(namespace, pod, dry_run="All")
            if stored.spec.hostname != "renamed":
                raise NotYet(f"a pod probe-3 created in {namespace} keeps hostname {stored.spec.hostname}")

        wait_for(Probe(in_force, "pods of ordinal 3 are renamed", timeout=30, subject=f"policy {name}"))
        result = run_guarantee(wc_cluster, f"{SCALING_GUARANTEE}::{SCALING_TEST}", timeout_scale=0.5)
    broken_as(
        result,
        r"etcd-3 runs with hostname 'renamed' under subdomain 'etcd': its DNS name etcd-3\.etcd is not",
    )
