"""The etcd member guarantee fails, naming the claim that changed and what etcd said, on a cluster whose
storage does not outlive the pod: a deleted member comes back on a fresh, empty claim.

The breaker (breakers.fresh_claims) acts only on the namespaces of the guarantee under test, which runs
in an inner pytest against the live cluster; it stops afterwards, also when the case fails."""

from __future__ import annotations

import pytest
from breakers.fresh_claims import claims_deleted_with_pods
from test_guarantees_fail_on_broken_clusters import broken_as, run_guarantee

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.namespaces import label_for_test

pytestmark = pytest.mark.disruptive

MEMBER_GUARANTEE = "conformance/statefulset/clustered_database/test_etcd_member_comes_back_as_itself.py"
MEMBER_TEST = "test_a_deleted_etcd_member_comes_back_with_its_name_claim_and_member_id"


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
