"""A member of a clustered database that loses its pod comes back as itself: same pod name, same claim,
so the same data directory and the same etcd member, which rejoins the cluster and catches up."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.claims import mounted_claim
from fixtures.resources.etcd import claim_of, holds_values, written

pytestmark = [pytest.mark.statefulset, pytest.mark.storage, pytest.mark.dns]

BEFORE = {f"db/before-{n:02d}": f"b{n}" for n in range(20)}
WHILE_AWAY = {f"db/away-{n:02d}": f"a{n}" for n in range(5)}


def test_a_deleted_etcd_member_comes_back_with_its_name_claim_and_member_id(make_etcd_cluster, step) -> None:
    """In a formed 3-member etcd StatefulSet, with 20 keys written, deleting the pod etcd-1 MUST bring
    back a new pod named etcd-1 mounting the same claim data-etcd-1 (same UID), serving as the same etcd
    member (same member ID, same cluster ID, the member list unchanged), Ready in the cluster, and holding
    in its own store every key written before it went and the 5 keys written through etcd-0 while it was
    away.

    Fails on: a StatefulSet controller or storage that gives the returning member a fresh claim (the
    claim whose UID changed is named: on an empty data directory etcd refuses to start as a member the
    cluster already has), one that brings it back under another name, or storage that loses the data (the
    keys the member lacks are named); a member that does not rejoin is named with the end of its log."""
    with step("arrange: an etcd cluster of 3 and 20 keys written through the client Service"):
        cluster = make_etcd_cluster("etcd")
        wait_for(written(cluster.etcd, cluster.via_service, BEFORE, subject=cluster.members.subject))
        claim = claim_of(cluster.members, 1)
        assert claim is not None, f"no claim data-etcd-1: {sorted(cluster.members.claims())}"
        old_pod = cluster.members.pods()[1]
        assert mounted_claim(old_pod) == claim.metadata.name, f"etcd-1 mounts {mounted_claim(old_pod)}"
        member_id = cluster.first.ids["etcd-1"]

    with step("act: delete etcd-1, and write 5 keys through etcd-0 while it is away"):
        cluster.members.delete_pod(1)
        wait_for(written(cluster.etcd, "pods/etcd-0", WHILE_AWAY, subject=cluster.members.subject))

    with step("observe: a new etcd-1 mounts data-etcd-1 with the same UID"):
        new_pod = wait_for(cluster.members.replaced("etcd-1", old_pod.metadata.uid, ready=False))
        assert mounted_claim(new_pod) == claim.metadata.name, (
            f"the new etcd-1 mounts {mounted_claim(new_pod)}"
        )
        now = claim_of(cluster.members, 1)
        uid = now.metadata.uid if now is not None else "none"
        assert uid == claim.metadata.uid, (
            f"data-etcd-1 is a new claim (uid {uid}, was {claim.metadata.uid}): etcd-1 lost its data"
        )

    with step("observe: etcd-1 rejoins as the same member and holds every key in its own store"):
        again = wait_for(cluster.formed())
        assert again.cluster_id == cluster.first.cluster_id, f"cluster {again.cluster_id}"
        assert again.ids["etcd-1"] == member_id, f"etcd-1 is member {again.ids['etcd-1']}, was {member_id}"
        assert again.ids == cluster.first.ids, f"member IDs {again.ids}, were {cluster.first.ids}"
        held = wait_for(
            holds_values(cluster.etcd, "etcd-1", "db/", BEFORE | WHILE_AWAY, subject=cluster.members.subject)
        )
        step.attach("\n".join(f"{k}={v}" for k, v in sorted(held.items())), "etcd-1's own keys")
