"""A RollingUpdate partition holds the ordinals below it at the current revision: a partition at the replica
count updates no pod at all, only ordinals at or above the partition move to the update revision, a pod
deleted during the canary comes back at the revision its ordinal is held at, and lowering the partition
extends the rollout one step at a time."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import PodRecord, pod_added_or_deleted
from fixtures.resources.statefulset_manifests import rolling_update
from fixtures.resources.statefulsets import template_mark

pytestmark = pytest.mark.statefulset

#: Seconds in which no pod the partition holds may be touched. Each window starts once the controller has
#: synced the change (its new update revision or the observed generation is in the status), and a
#: controller that ignored the partition deletes the pod in that very sync: its event follows within
#: milliseconds, so the window only covers a lagging watch and the syncs that come after.
QUIET_WINDOW = 5
REPLICAS = 3


@pytest.mark.upstream(
    "statefulset.go: should perform canary updates and phased rolling updates of template modifications",
    parity="stricter",
    note="'nothing updated' and 'held pods untouched' are judged over every pod event of a quiet window by "
    "UID, not on one listing; the deleted pods are judged by UID, revision label and the template they "
    "run; status.updatedReplicas follows each step",
)
def test_partition_updates_only_ordinals_at_or_above_it(make_statefulset, pod_events, step) -> None:
    """With partition=3 on 3 replicas (no ordinal at or above it), a template change MUST make a new update
    revision and MUST NOT touch any pod: for QUIET_WINDOW s no pod is deleted, terminating or created, and
    all stay at the current revision with status.updatedReplicas 0. Lowering the partition to 2 MUST move
    web-2 alone to the update revision, web-0 and web-1 untouched for QUIET_WINDOW s. Deleted together,
    web-0 MUST come back at the current revision and web-2 at the update revision (each running its
    revision's template), web-1 untouched. Lowering the partition to 1 MUST then update web-1 only, and to 0
    also web-0, after which currentRevision MUST equal updateRevision.

    Fails on: a cluster that ignores or resets the partition, also one at the replica count (the pod that
    was replaced is named with its event), or that recreates a deleted pod from the other revision (its
    revision label or template is named)."""
    with step(f"arrange: a StatefulSet web of {REPLICAS}, partition={REPLICAS}, Ready, pod events recorded"):
        web = make_statefulset("web", replicas=REPLICAS, update_strategy=rolling_update(REPLICAS))
        sts, before = wait_for(web.ready(REPLICAS))
        current = sts.status.current_revision
        uids = {o: p.metadata.uid for o, p in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")
        wait_for(recorder.listed(uids.values()))

    with step("act: change the pod template"):
        update = web.update_template("2")

    with step(f"observe: no pod created, deleted or terminating for {QUIET_WINDOW} s; all at {current}"):
        holds_for(
            recorder.never(pod_added_or_deleted, "no pod created or deleted"),
            QUIET_WINDOW,
            f"a pod was replaced under partition={REPLICAS}",
        )
        sts, pods = wait_for(web.at_revisions(dict.fromkeys(range(REPLICAS), current)))
        assert {o: p.metadata.uid for o, p in pods.items()} == uids, "a pod was replaced"
        revisions = (sts.status.current_revision, sts.status.update_revision)
        assert revisions == (current, update), (
            f"status.currentRevision, updateRevision: {revisions}, not {(current, update)}"
        )

    with step("act: lower the partition to 2"):
        web.set_partition(2)

    with step(f"observe: only web-2 moves to {update}; web-0 and web-1 stay for {QUIET_WINDOW} s"):
        sts, pods = wait_for(web.at_revisions({0: current, 1: current, 2: update}))
        held = {uids[0], uids[1]}

        def held_pod_touched(records: list[PodRecord]) -> str | None:
            touched = [r for r in records if r.uid in held and (r.deletion_timestamp or r.kind == "DELETED")]
            return touched[0].line(records[0].monotonic) if touched else None

        holds_for(
            recorder.never(held_pod_touched, "web-0 and web-1 untouched"),
            QUIET_WINDOW,
            "a pod below the partition was replaced",
        )
        assert sts.status.current_revision == current, (
            f"status.currentRevision moved to {sts.status.current_revision}"
        )
        assert {pods[0].metadata.uid, pods[1].metadata.uid} == held

    with step("act: delete web-0 (held) and web-2 (updated)"):
        canary = pods[2]
        web.delete_pod(0)
        web.delete_pod(2)

    with step(f"observe: web-0 comes back at {current}, web-2 at {update}, each with its template"):
        web0 = wait_for(web.replaced("web-0", uids[0]))
        web2 = wait_for(web.replaced("web-2", canary.metadata.uid))
        _, pods = wait_for(web.at_revisions({0: current, 1: current, 2: update}))
        for pod, revision, mark in ((web0, current, None), (web2, update, "2")):
            name = pod.metadata.name
            assert web.revision_of(pod) == revision, f"the recreated {name} is at {web.revision_of(pod)}"
            assert template_mark(pod) == mark, f"the recreated {name} runs WC_REVISION={template_mark(pod)}"
        assert (pods[0].metadata.uid, pods[1].metadata.uid) == (web0.metadata.uid, uids[1])
        assert not recorder.deletion_started("web-1"), f"web-1 was deleted:\n{recorder.timeline()}"

    with step("act: lower the partition to 1"):
        web.set_partition(1)

    with step("observe: web-1 moves to the update revision, web-0 stays"):
        _, pods = wait_for(web.at_revisions({0: current, 1: update, 2: update}))
        assert pods[0].metadata.uid == web0.metadata.uid, "web-0 was replaced above the partition's reach"

    with step("act: lower the partition to 0"):
        web.set_partition(0)

    with step("observe: every pod at the update revision, currentRevision == updateRevision"):
        sts, pods = wait_for(web.ready(REPLICAS, timeout=120))
        assert sts.status.current_revision == sts.status.update_revision == update
        marks = {p.metadata.name: template_mark(p) for p in pods.values()}
        assert set(marks.values()) == {"2"}, f"pods not running the updated template: {marks}"
