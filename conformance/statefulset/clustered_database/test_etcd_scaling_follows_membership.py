"""Scaling a clustered database's StatefulSet follows its membership: the set grows by the ordinal the
database was told to expect, with its own name, claim and DNS name, while the running members keep their
pods under a partition; it shrinks by the highest ordinal only, and the database goes on with the rest."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for
from fixtures.resources.claims import mounted_claim
from fixtures.resources.etcd import FORMATION_TIMEOUT, claim_of, holds_values, written
from fixtures.resources.etcd_writer import Writer, account, quorum_gaps

pytestmark = [pytest.mark.statefulset, pytest.mark.storage, pytest.mark.dns]

BEFORE = {f"db/before-{n:02d}": f"b{n}" for n in range(20)}
#: Writes that may fail while the set grows and shrinks: the quorum never depends on the member coming or
#: going (3 of 4 are up throughout), so at most one routed to etcd-3 as it stops, and one more for luck of
#: the proxy's endpoint cache.
MAX_FAILED = 2
#: Seconds without an acknowledged write (as for the rolling update: two hung writes in a row and more).
MAX_OUTAGE = 7.0


def pods_not_kept(kept: dict[int, str], pods: dict[int, client.V1Pod]) -> list[str]:
    """The names of the ordinals in ``kept`` (ordinal -> pod UID) whose pod is gone or another one."""
    return [f"etcd-{o}" for o, uid in sorted(kept.items()) if o not in pods or pods[o].metadata.uid != uid]


def test_etcd_set_scales_with_the_membership_by_its_highest_ordinal(make_etcd_cluster, step) -> None:
    """In a formed 3-member etcd StatefulSet with 20 keys written and a client writing through the client
    Service every 0.2 s: after ``member add`` of etcd-3's peer URL, scaling the set to 4 with a partition
    of 3 and a template whose members join the existing cluster MUST create exactly one new pod, etcd-3,
    at the update revision, with hostname etcd-3 under the Service's subdomain and its own claim
    data-etcd-3, while etcd-0..2 keep their pods (same UIDs) at the current revision; the cluster MUST then
    be the 4 members, etcd-3 serving as the member ID the add returned and holding the 20 keys in its own
    store. Scaled back to 3, the set MUST delete etcd-3 and only etcd-3 (etcd-0..2 same UIDs) and keep its
    claim (whenScaled Retain); after ``member remove`` the cluster MUST be the first 3 members with their
    first IDs. Throughout, at most 2 writes may fail and never 7 s pass without an acknowledged write, and
    every member MUST hold every acknowledged write.

    Fails on: admission or a StatefulSet controller that gives the new pod another hostname or subdomain
    (its per-pod DNS name is not published, so its peers cannot reach it: the hostname is named), a
    controller that ignores the partition (the running members it replaced are named) or scales down
    another ordinal than the highest (the pod deleted is named), storage that gives the new member no
    claim, or a cluster DNS without records for new pods (the new member never joins: its state and last
    words are shown)."""
    with step("arrange: an etcd cluster of 3, 20 keys, and a client writing through the client Service"):
        cluster = make_etcd_cluster("etcd")
        wait_for(written(cluster.etcd, cluster.via_service, BEFORE, subject=cluster.members.subject))
        running = {o: p.metadata.uid for o, p in cluster.members.pods().items()}
        assert sorted(running) == [0, 1, 2], f"the set runs ordinals {sorted(running)}"
        current = wait_for(cluster.members.generation_observed()).status.current_revision
        writer = Writer(cluster.etcd, cluster.via_service, "w/").start()

    try:
        wait_for(writer.acknowledged(0, 5))
        with step("act: member add etcd-3, then scale the set to 4 (partition 3, members join as existing)"):
            grown, member_id = cluster.grow()

        with step("observe: etcd-3 is made, at the update revision, with its name and a claim of its own"):
            new_pod = wait_for(grown.members.running(3, timeout=FORMATION_TIMEOUT))
            sts = wait_for(grown.members.generation_observed())
            assert sts.status.update_revision != current, f"no new revision after {current}"
            assert grown.members.revision_of(new_pod) == sts.status.update_revision, (
                f"etcd-3 is at revision {grown.members.revision_of(new_pod)}, "
                f"not the update revision {sts.status.update_revision}"
            )
            identity = (new_pod.spec.hostname, new_pod.spec.subdomain)
            assert identity == ("etcd-3", "etcd"), (
                f"etcd-3 runs with hostname {identity[0]!r} under subdomain {identity[1]!r}: its DNS name "
                f"etcd-3.etcd is not published, so its peers cannot reach {grown.peers['etcd-3']}"
            )
            assert mounted_claim(new_pod) == "data-etcd-3", f"etcd-3 mounts {mounted_claim(new_pod)}"

        with step("observe: etcd-0..2 keep their pods at the current revision"):
            pods = grown.members.pods()
            replaced = pods_not_kept(running, pods)
            assert not replaced, f"the partition did not hold: {', '.join(replaced)} replaced"
            moved = [f"etcd-{o}" for o in running if grown.members.revision_of(pods[o]) != current]
            assert not moved, f"{', '.join(moved)} not at the current revision {current}"

        with step("observe: the cluster is the 4 members, etcd-3 the member added, holding every key"):
            four = wait_for(grown.formed())
            assert four.cluster_id == cluster.first.cluster_id, f"cluster {four.cluster_id}"
            joined = four.ids["etcd-3"]
            assert joined == member_id, f"etcd-3 serves as member {joined}, the one added is {member_id}"
            assert {n: four.ids[n] for n in cluster.peers} == cluster.first.ids, f"member IDs {four.ids}"
            wait_for(holds_values(grown.etcd, "etcd-3", "db/", BEFORE, subject=grown.members.subject))

        with step("act: scale the set to 3"):
            grown.members.scale(3)

        with step("observe: etcd-3 and only etcd-3 is deleted; its claim stays"):
            wait_for(grown.members.pod(3).gone())
            deleted = pods_not_kept(running, grown.members.pods())
            assert not deleted, f"scaling down to 3 replaced {', '.join(deleted)}"
            assert claim_of(grown.members, 3) is not None, "data-etcd-3 was deleted on scale-down (Retain)"

        with step("act: member remove etcd-3"):
            shrunk = grown.remove("etcd-3", member_id)

        with step("observe: the cluster is the first 3 members again; writes go on"):
            three = wait_for(shrunk.formed())
            assert three.ids == cluster.first.ids, f"member IDs {three.ids}, were {cluster.first.ids}"
            wait_for(writer.acknowledged(len(writer.writes), 5))
    finally:
        writes = writer.stop()
    step.attach(account(writes), "writes")

    with step("observe: failures within the bound; every member holds every acknowledged write"):
        assert len(writes) >= 20, f"only {len(writes)} writes made"
        gaps = quorum_gaps(writes, max_failed=MAX_FAILED, max_outage=MAX_OUTAGE)
        assert not gaps, "the cluster lost its quorum: " + "; ".join(gaps)
        acknowledged = {w.key: w.value for w in writes if w.ok}
        for name in sorted(shrunk.peers):
            wait_for(holds_values(shrunk.etcd, name, "w/", acknowledged, subject=shrunk.members.subject))
