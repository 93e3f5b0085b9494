"""A RollingUpdate partition holds the ordinals below it at the current revision: only ordinals at or
above the partition move to the update revision, also when a held pod is recreated, and lowering the
partition extends the rollout one step at a time."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import PodRecord
from fixtures.resources.statefulset_manifests import rolling_update

pytestmark = pytest.mark.statefulset

QUIET_WINDOW = 10  # seconds in which no held pod may be replaced


def test_partition_updates_only_ordinals_at_or_above_it(make_statefulset, pod_events, step) -> None:
    """With partition=2, a template change MUST move web-2 to the update revision and MUST NOT touch web-0
    and web-1 (same UIDs, current revision); a deleted web-0 MUST come back at the current revision.
    Lowering the partition to 1 MUST then update web-1 only, and to 0 also web-0, after which
    currentRevision MUST equal updateRevision.

    Fails on: a cluster that ignores or resets the partition (the held pod that was replaced is named),
    or that recreates a held pod from the update revision (its revision label is named)."""
    with step("arrange: a StatefulSet web of 3 with partition=2, Ready, pod events recorded"):
        web = make_statefulset("web", update_strategy=rolling_update(2))
        sts, before = wait_for(web.ready(3))
        current = sts.status.current_revision
        held = {before[0].metadata.uid, before[1].metadata.uid}
        recorder = pod_events(f"{APP_LABEL}=web")

    with step("act: change the pod template"):
        update = web.update_template("2")

    with step(f"observe: only web-2 moves to {update}; web-0 and web-1 stay for {QUIET_WINDOW} s"):
        sts, pods = wait_for(web.at_revisions({0: current, 1: current, 2: update}))

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

    with step("act: delete web-0"):
        web.delete_pod(0)

    with step(f"observe: web-0 comes back at the current revision {current}"):
        web0 = wait_for(web.replaced("web-0", before[0].metadata.uid))
        assert web.revision_of(web0) == current, (
            f"the recreated web-0 is at {web.revision_of(web0)}, not {current}"
        )

    with step("act: lower the partition to 1"):
        web.set_partition(1)

    with step("observe: web-1 moves to the update revision, web-0 stays"):
        _, pods = wait_for(web.at_revisions({0: current, 1: update, 2: update}))
        assert pods[0].metadata.uid == web0.metadata.uid, "web-0 was replaced above the partition's reach"

    with step("act: lower the partition to 0"):
        web.set_partition(0)

    with step("observe: every pod at the update revision, currentRevision == updateRevision"):
        sts, _ = wait_for(web.ready(3, timeout=120))
        assert sts.status.current_revision == sts.status.update_revision == update
