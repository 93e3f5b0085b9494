"""A real clustered database on a StatefulSet: three etcd members, of the image the cluster's own etcd
runs, find each other only through their per-pod DNS names under the headless Service and form one
cluster, which survives the whole set being scaled to nothing and back."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.etcd import holds_values, written

pytestmark = [pytest.mark.statefulset, pytest.mark.storage, pytest.mark.dns]


@pytest.mark.upstream(
    "statefulset.go: should creating a working CockroachDB cluster",
    parity="stricter",
    note="etcd instead of CockroachDB (the image the cluster's own etcd runs, no pull): a value written "
    "at member 0 is read at member 2 after the set is scaled to 0 and back, from member 2's own store; "
    "and the members formed one cluster from their per-pod DNS names, the same cluster and member IDs "
    "after the restart",
)
def test_etcd_members_form_one_cluster_from_their_pod_dns_names(make_etcd_cluster, step) -> None:
    """A StatefulSet etcd of 3 under the headless Service etcd, whose members are named after their pods
    and bootstrap from ``--initial-cluster`` listing etcd-N=http://etcd-N.etcd.<namespace>.svc.<cluster
    domain>:2380, MUST form one etcd cluster: every member Ready, reporting the same cluster ID and exactly
    the members etcd-0, etcd-1 and etcd-2 with those peer URLs, each serving under the member ID listed
    for its name. A key written through etcd-0 MUST be in each member's own store. Scaled to 0 and back to
    3, the set MUST bring back the same cluster (same cluster ID, same member IDs) and etcd-2 MUST still
    hold the key.

    Fails on: a cluster DNS without per-pod records of headless Services (or without records of unready
    pods under publishNotReadyAddresses): members cannot reach their peers and stay unready (each named,
    with the end of its log); a StatefulSet controller that names pods otherwise than <set>-<ordinal> or
    makes new claims when the set comes back, or storage that loses the data across the restart (an empty
    cluster forms again, its IDs derived from the same names and URLs: etcd-2 lacks the key)."""
    with step("arrange: headless Service etcd, Service etcd-client, StatefulSet etcd of 3 (etcd image)"):
        cluster = make_etcd_cluster("etcd")
        first = cluster.first
        step.attach("\n".join(f"{n} {i} {cluster.peers[n]}" for n, i in sorted(first.ids.items())), "members")

    with step("observe: one cluster of exactly etcd-0, etcd-1, etcd-2 with their per-pod DNS peer URLs"):
        assert sorted(first.ids) == ["etcd-0", "etcd-1", "etcd-2"], f"members: {first.ids}"
        assert len(set(first.ids.values())) == 3, f"members share an ID: {first.ids}"

    with step("act: write db/foo=bar through etcd-0"):
        wait_for(written(cluster.etcd, "pods/etcd-0", {"db/foo": "bar"}, subject=cluster.members.subject))

    with step("observe: every member holds db/foo=bar in its own store"):
        for name in sorted(cluster.peers):
            wait_for(
                holds_values(cluster.etcd, name, "db/", {"db/foo": "bar"}, subject=cluster.members.subject)
            )

    with step("act: scale the set to 0, then back to 3"):
        cluster.members.scale(0)
        wait_for(cluster.members.ready(0, timeout=120))
        cluster.members.scale(3)

    with step("observe: the same cluster and member IDs, and etcd-2 still holds db/foo=bar"):
        again = wait_for(cluster.formed())
        assert again.cluster_id == first.cluster_id, f"cluster {again.cluster_id}, was {first.cluster_id}"
        assert again.ids == first.ids, f"member IDs {again.ids}, were {first.ids}"
        wait_for(
            holds_values(cluster.etcd, "etcd-2", "db/", {"db/foo": "bar"}, subject=cluster.members.subject)
        )
