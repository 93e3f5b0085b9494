"""With OrderedReady pod management, a StatefulSet creates its pods one at a time in ordinal order, each
only once the one before it is Running and Ready."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import PodEventRecorder, PodRecord

pytestmark = pytest.mark.statefulset

QUIET_WINDOW = 5  # seconds, with web-0 already Running, in which no pod may follow it


def _created_after_predecessor_ready(recorder: PodEventRecorder, ordinal: int) -> None:
    """Assert that web-<ordinal> was first seen after web-<ordinal-1> was first Ready, in the order the API
    server sent the events."""
    records = recorder.records
    before, after = f"web-{ordinal - 1}", f"web-{ordinal}"
    ready, created = recorder.first_ready(before), recorder.first_seen(after)
    assert created is not None, f"{after} never seen:\n{recorder.timeline()}"
    assert ready is not None and records.index(ready) < records.index(created), (
        f"{after} was created before {before} was Ready:\n{recorder.timeline()}"
    )
    assert ready.phase == "Running", f"{before} Ready while {ready.phase}:\n{recorder.timeline()}"


def test_scale_up_creates_each_pod_after_the_previous_is_ready(make_statefulset, pod_events, step) -> None:
    """Scaling an OrderedReady StatefulSet from 0 to 3 MUST create web-1 only after web-0 was Running
    and Ready, and web-2 only after web-1 was, judged from the order in which the API server sent the
    pods' events.

    Fails on: a statefulset controller that creates pods in parallel or out of order under OrderedReady
    (the pod that appeared too early and the timeline are named)."""
    with step("arrange: a StatefulSet web of 0, its pod events recorded"):
        recorder = pod_events(f"{APP_LABEL}=web")
        web = make_statefulset("web", replicas=0)
        wait_for(web.ready(0, timeout=60))

    with step("act: scale to 3"):
        web.scale(3)

    with step("observe: web-1 created after web-0 Ready, web-2 after web-1 Ready"):
        wait_for(web.ready(3))
        for ordinal in (1, 2):
            _created_after_predecessor_ready(recorder, ordinal)
        assert recorder.order_of("ADDED") == ["web-0", "web-1", "web-2"], recorder.timeline()


def test_an_unready_pod_holds_back_its_successors(make_statefulset, pod_events, step) -> None:
    """While web-0 runs but is not Ready, web-1 MUST NOT be created; once web-0 turns Ready web-1 MUST
    follow, and web-2 only once web-1 turned Ready.

    Fails on: a statefulset controller that creates the next pod when the previous one merely runs
    (web-1 appears within the quiet window: its event is named), or that never resumes once the pod
    turned Ready (the wait names the missing pod)."""
    with step("arrange: a StatefulSet web of 3 whose pods stay unready until told otherwise"):
        recorder = pod_events(f"{APP_LABEL}=web")
        web = make_statefulset("web", readiness_file=True)
        wait_for(web.running(0))

    with step(f"observe: no web-1 within {QUIET_WINDOW} s while web-0 is unready"):

        def successor_seen(records: list[PodRecord]) -> str | None:
            others = [r for r in records if r.name != "web-0"]
            return others[0].line(records[0].monotonic) if others else None

        holds_for(
            recorder.never(successor_seen, "no pod other than web-0"),
            QUIET_WINDOW,
            "a pod was created while web-0 was not Ready",
        )
        assert recorder.first_ready("web-0") is None, f"web-0 turned Ready by itself:\n{recorder.timeline()}"

    for ordinal in (0, 1, 2):
        with step(f"act: make web-{ordinal} Ready (touch its readiness file)"):
            wait_for(web.running(ordinal))
            web.set_ready_file(ordinal, present=True)

    with step("observe: web-1 and web-2 followed, each after its predecessor turned Ready"):
        wait_for(web.ready(3))
        for ordinal in (1, 2):
            _created_after_predecessor_ready(recorder, ordinal)
