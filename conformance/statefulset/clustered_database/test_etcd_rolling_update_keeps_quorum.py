"""A rolling update of a clustered database's StatefulSet replaces one member at a time, each only once the
one before is Ready again, so the cluster keeps its quorum: a client writing throughout keeps being
answered."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.etcd import holds_values
from fixtures.resources.etcd_writer import WRITE_INTERVAL, Writer, account, quorum_gaps

pytestmark = [pytest.mark.statefulset, pytest.mark.storage, pytest.mark.dns]

#: Writes that may fail in the whole rollout: per member replaced, one routed to it as it stops (the API
#: server's proxy may still pick it until its endpoint goes) and one during the leader change when it led.
#: A lost quorum fails writes fast and many: the members left lose their leader (etcd checks quorum) and
#: answer "no leader", or turn unready and leave no endpoint ("no endpoints available"); all 3 members
#: restarted at once on the 1+3 kind cluster failed 15 writes in 3 s.
MAX_FAILED = 6
#: Seconds without an acknowledged write: a leader change takes about etcd's election timeout (1 s), and on
#: a loaded machine one write may hang for its whole 3 s timeout (seen once in 4 runs): 7 s is more than
#: two such writes in a row.
MAX_OUTAGE = 7.0


def test_etcd_rolling_update_keeps_quorum_while_a_client_writes(make_etcd_cluster, step) -> None:
    """In a formed 3-member etcd StatefulSet (RollingUpdate, no partition), a template change MUST replace
    etcd-2, etcd-1 and etcd-0 one at a time, each once the one before is Ready again, so that the cluster
    keeps quorum throughout: a client writing through the client Service every 0.2 s, each write a request
    of its own with a 3 s timeout, MUST see at most 6 of its writes fail (one routed to a stopping member,
    one in a leader change, per member) and never go more than 7 s without an acknowledged write. After
    the rollout, every member MUST be the same member (same IDs) and hold every acknowledged write.

    Fails on: a StatefulSet controller that replaces members without waiting for the previous one to be
    Ready, or more than one at a time (quorum lost: the run of failed writes and its first error are
    named), one that gives a replaced member a new claim (it cannot rejoin: the rollout never completes,
    the member's last words shown), or storage that loses acknowledged writes (the keys a member lacks)."""
    with step("arrange: an etcd cluster of 3 and a client writing through the client Service"):
        cluster = make_etcd_cluster("etcd")
        writer = Writer(cluster.etcd, cluster.via_service, "w/").start()
        try:
            wait_for(writer.acknowledged(0, 5))
        except BaseException:
            writer.stop()
            raise

    try:
        with step("act: change the pod template (a rolling update of etcd-2, etcd-1, etcd-0)"):
            started = len(writer.writes)
            revision = cluster.roll("rolled")

        with step(f"observe: the rollout completes at {revision}; writes go on after it"):
            wait_for(cluster.members.ready(3, timeout=180))
            rolled = len(writer.writes)
            wait_for(writer.acknowledged(rolled, 5))
    finally:
        writes = writer.stop()
    step.attach(account(writes), "writes")

    with step("observe: every write during the rollout was counted; failures within the bound"):
        during = writes[started:rolled]
        assert len(during) >= 10, (
            f"only {len(during)} writes made during the rollout ({WRITE_INTERVAL} s apart)"
        )
        gaps = quorum_gaps(writes, max_failed=MAX_FAILED, max_outage=MAX_OUTAGE)
        assert not gaps, "the cluster lost its quorum: " + "; ".join(gaps)

    with step("observe: the same members, each holding every acknowledged write"):
        again = wait_for(cluster.formed())
        assert again.ids == cluster.first.ids, f"member IDs {again.ids}, were {cluster.first.ids}"
        written = {w.key: w.value for w in writes if w.ok}
        assert written, "no write was acknowledged"
        for name in sorted(cluster.peers):
            wait_for(holds_values(cluster.etcd, name, "w/", written, subject=cluster.members.subject))
