"""With OrderedReady pod management, a StatefulSet scales down from the highest ordinal, removing one pod
at a time, and scaling up again brings back the same names."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.observation.event_recorder import PodRecord, deleted

pytestmark = pytest.mark.statefulset


def test_scale_down_removes_the_highest_ordinal_first_one_at_a_time(
    make_statefulset, pod_events, step
) -> None:
    """Scaling web from 3 to 1 MUST begin deleting web-2 first and MUST NOT begin deleting web-1 until
    web-2 is gone from the API; web-0 MUST stay the same pod (same UID). Scaling back to 3 MUST recreate
    the pods under the names web-1 and web-2.

    Fails on: a statefulset controller that deletes pods in parallel or lowest-first under OrderedReady
    (the deletion order and the timeline are named), or that gives new pods other names after a scale-down
    (the unexpected names are listed)."""
    with step("arrange: a StatefulSet web of 3 Ready, its pod events recorded"):
        web = make_statefulset("web")
        _, before = wait_for(web.ready(3))
        uids = {o: p.metadata.uid for o, p in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")

    with step("act: scale to 1"):
        web.scale(1)

    with step("observe: web-2 deleted and gone before web-1's deletion starts; web-0 untouched"):
        _, after = wait_for(web.ready(1))
        assert after[0].metadata.uid == uids[0], f"web-0 was replaced: uid {after[0].metadata.uid}"
        wait_for(
            recorder.probe(
                lambda records: deleted(records, "web-1", uids[1]) and deleted(records, "web-2", uids[2]),
                "DELETED events of web-1 and web-2",
            )
        )
        records = recorder.records

        def at(record: PodRecord | None) -> int:
            assert record is not None, recorder.timeline()
            return records.index(record)

        assert recorder.order_of("TERMINATING") == ["web-2", "web-1"], recorder.timeline()
        assert at(recorder.deleted("web-2", uids[2])) < at(recorder.deletion_started("web-1", uids[1])), (
            f"web-1's deletion began before web-2 was gone:\n{recorder.timeline()}"
        )
        assert recorder.deletion_started("web-0") is None, f"web-0 was deleted:\n{recorder.timeline()}"

    with step("act: scale back to 3"):
        web.scale(3)

    with step("observe: web-1 and web-2 come back under their names, as new pods"):
        _, again = wait_for(web.ready(3))
        assert sorted(p.metadata.name for p in again.values()) == ["web-0", "web-1", "web-2"]
        assert again[0].metadata.uid == uids[0]
        for ordinal in (1, 2):
            assert again[ordinal].metadata.uid != uids[ordinal], f"web-{ordinal} was never replaced"
        names = sorted({r.name for r in recorder.records})
        assert names == ["web-0", "web-1", "web-2"], f"pods under other names: {names}"
