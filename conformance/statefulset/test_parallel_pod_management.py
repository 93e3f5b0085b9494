"""With Parallel pod management, a StatefulSet scales up and down all at once, without waiting for any of
its pods to be Ready."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.observation.event_recorder import deleted, deletion_started

pytestmark = pytest.mark.statefulset


@pytest.mark.upstream(
    "statefulset.go: Burst scaling should run to completion even with unhealthy pods",
    parity="stricter",
    note="every pod stays unready through the scale-up and the scale-down, judged from the pod events; "
    "the pods removed are the same ones (UIDs), all terminating before the first is gone, none made",
)
def test_parallel_scales_up_and_down_without_waiting_for_readiness(
    make_statefulset, pod_events, step
) -> None:
    """A Parallel StatefulSet web of 1 whose web-0 runs unready, scaled to 3, MUST get web-1 and web-2
    Running while none of the three is Ready; made Ready, all three MUST be Ready with the status agreeing.
    Made unready again and scaled to 0, it MUST remove all three, each beginning to terminate before the
    first is gone, while none is Ready, and make no pod, leaving none and status.replicas 0.

    Fails on: a statefulset controller that treats Parallel like OrderedReady (web-1 never made: the wait
    names web-1 and web-2 as missing; on scale-down no pod removed, or one at a time: the timeline is
    named)."""
    with step("arrange: a Parallel StatefulSet web of 1 whose pod runs unready, pod events recorded"):
        recorder = pod_events(f"{APP_LABEL}=web")
        web = make_statefulset("web", replicas=1, pod_management_policy="Parallel", readiness_file=True)
        wait_for(web.running(0))

    with step("act: scale to 3"):
        web.scale(3)

    with step("observe: all three pods run while none is Ready"):
        for ordinal in range(3):
            wait_for(web.running(ordinal))
        names = sorted(p.metadata.name for p in web.pods().values())
        assert names == ["web-0", "web-1", "web-2"], names
        ready = [r.line() for r in recorder.records if r.ready]
        assert not ready, f"pods turned Ready without their readiness file: {ready}\n{recorder.timeline()}"

    with step("act: make the pods Ready"):
        for ordinal in range(3):
            web.set_ready_file(ordinal, present=True)

    with step("observe: 3/3 Ready"):
        _, pods = wait_for(web.ready(3, timeout=60))
        uids = {p.metadata.name: p.metadata.uid for p in pods.values()}

    with step("act: make the pods unready, then scale to 0"):
        for ordinal in range(3):
            web.set_ready_file(ordinal, present=False)
        for ordinal in range(3):
            wait_for(web.readiness(ordinal, ready=False))
        wait_for(web.ready_count(0))
        since = len(recorder.records)
        web.scale(0)

    with step("observe: all three removed at once while unready, none made; no pod left"):
        wait_for(web.ready(0, timeout=60))
        records = recorder.records
        after = records[since:]
        gone = [deleted(after, name, uid) for name, uid in uids.items()]
        assert all(gone), f"not all of {sorted(uids)} seen deleted:\n{recorder.timeline()}"
        first_gone = min(records.index(r) for r in gone if r)
        for name, uid in sorted(uids.items()):
            started = deletion_started(after, name, uid)
            assert started and records.index(started) < first_gone, (
                f"{name} began terminating only after another pod was gone:\n{recorder.timeline()}"
            )
        unexpected = [r.line(records[0].monotonic) for r in after if r.ready or r.kind == "ADDED"]
        assert not unexpected, f"pods Ready or made while scaling down: {unexpected}"
