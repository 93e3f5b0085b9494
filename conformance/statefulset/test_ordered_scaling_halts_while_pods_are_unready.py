"""With OrderedReady pod management, scaling goes one ordinal at a time and stops while a pod is unready:
no pod is made after an unready one, none is removed while a pod that stays is unready nor while the
pods to be removed are all unready, and once they are Ready again scaling resumes in ordinal order."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import (
    PodEventRecorder,
    PodRecord,
    deleted,
    deletion_started,
    first_ready,
    first_seen,
    pod_added_or_deleted,
)
from fixtures.resources.statefulsets import StatefulSet

pytestmark = pytest.mark.statefulset

#: Seconds in which an unready pod must hold scaling back. Each window starts once the controller has
#: observed the new replica count and the pods' readiness (status.observedGeneration, readyReplicas); on
#: kind a controller that did not halt creates or deletes the pod in that sync, its event within 0.1 s.
QUIET_WINDOW = 5


def set_readiness(web: StatefulSet, ordinals: list[int], ready: bool, *, counted: int | None = None) -> None:
    """Make the pods of ``ordinals`` Ready or unready (their readiness file) and wait until each pod's Ready
    condition says so and, given ``counted``, the set's status.readyReplicas is that: the controller has
    seen it."""
    for ordinal in ordinals:
        web.set_ready_file(ordinal, present=ready)
    for ordinal in ordinals:
        wait_for(web.readiness(ordinal, ready))
    if counted is not None:
        wait_for(web.ready_count(counted))


def halted(web: StatefulSet, recorder: PodEventRecorder, replicas: int, why: str) -> None:
    """Scale ``web`` to ``replicas`` and check that no pod is created, deleted or begins terminating for
    QUIET_WINDOW s after the controller has observed the change."""
    since = len(recorder.records)
    web.scale(replicas)
    wait_for(web.generation_observed())
    holds_for(
        recorder.never(lambda records: pod_added_or_deleted(records[since:]), "no pod created or deleted"),
        QUIET_WINDOW,
        f"scaling to {replicas} went on while {why}",
    )


def in_turn(records: list[PodRecord], first: str, then: str, *, scale_down: bool) -> None:
    """Assert that ``then`` was created only after ``first`` was Ready (scale up), or began terminating
    only after ``first`` was gone (scale down), in the order the API server sent the events."""
    before = deleted(records, first) if scale_down else first_ready(records, first)
    after = deletion_started(records, then) if scale_down else first_seen(records, then)
    what = ("gone", "deleted") if scale_down else ("Ready", "created")
    assert before is not None and after is not None, f"{first} {what[0]} or {then} {what[1]} not seen"
    assert records.index(before) < records.index(after), f"{then} was {what[1]} before {first} was {what[0]}"


@pytest.mark.upstream(
    "statefulset.go: Scaling should happen in predictable order and halt if any stateful pod is unhealthy",
    parity="stricter",
    note=f"each halt is judged over every pod event from the scale until {QUIET_WINDOW} s after the "
    "controller observed it (no pod created, deleted or terminating), where upstream polls a pod count for "
    "10 s; also while only a pod that stays is unready; each pod created after its predecessor turned Ready "
    "again and each gone before the next began terminating, by event order; web-0 kept by UID",
)
def test_ordered_scaling_goes_in_ordinal_order_and_halts_while_pods_are_unready(
    make_statefulset, pod_events, step
) -> None:
    """An OrderedReady StatefulSet web of 1 whose web-0 turned unready, scaled to 3, MUST create no pod
    for QUIET_WINDOW s; once web-0 is Ready again it MUST create web-1 after web-0 was Ready and web-2
    after web-1 was, keeping web-0. Scaled to 1 while web-0 (which stays) is unready, it MUST delete no pod
    for QUIET_WINDOW s; scaled to 0 while all three are unready, again none. Once they are Ready it MUST
    remove web-2, web-1 and web-0 in that order, each gone before the next begins terminating, and make
    no pod, leaving none and status.replicas 0.

    Fails on: a statefulset controller that scales past an unready pod under OrderedReady (the pod created
    or deleted within the window is named with its event), that never resumes once the pods are Ready
    (the wait names the pods left), or that scales out of ordinal order (the pod and the timeline)."""
    with step("arrange: an OrderedReady StatefulSet web of 1, Ready (readiness file), pod events recorded"):
        web = make_statefulset("web", replicas=1, readiness_file=True, start_ready=True)
        _, pods = wait_for(web.ready(1))
        recorder = pod_events(f"{APP_LABEL}=web")
        wait_for(recorder.listed([pods[0].metadata.uid]))

    with step("act: make web-0 unready"):
        set_readiness(web, [0], ready=False, counted=0)

    with step(f"observe: scaled to 3, no pod created for {QUIET_WINDOW} s"):
        halted(web, recorder, 3, "web-0 was not Ready")

    with step("act: make web-0 Ready again"):
        since = len(recorder.records)
        set_readiness(web, [0], ready=True)

    with step("observe: web-1 created after web-0 was Ready, web-2 after web-1; web-0 the same pod"):
        _, after = wait_for(web.ready(3))
        assert after[0].metadata.uid == pods[0].metadata.uid, "web-0 was replaced by the scale-up"
        records = recorder.records[since:]
        for first, then in (("web-0", "web-1"), ("web-1", "web-2")):
            in_turn(records, first, then, scale_down=False)
        assert recorder.order_of("ADDED") == ["web-1", "web-2"], recorder.timeline()
        uids = {o: p.metadata.uid for o, p in after.items()}

    with step("act: make web-0 unready"):
        set_readiness(web, [0], ready=False, counted=2)

    with step(f"observe: scaled to 1, no pod deleted for {QUIET_WINDOW} s while web-0 (it stays) is unready"):
        halted(web, recorder, 1, "web-0 was not Ready")

    with step("act: make web-1 and web-2 unready too"):
        set_readiness(web, [1, 2], ready=False, counted=0)

    with step(f"observe: scaled to 0, no pod deleted for {QUIET_WINDOW} s while all three are unready"):
        halted(web, recorder, 0, "web-0, web-1 and web-2 were not Ready")

    with step("act: make the three Ready again, web-2 first (a Ready web-2 may go at once)"):
        since = len(recorder.records)
        for ordinal in (2, 1, 0):
            web.set_ready_file(ordinal, present=True)

    with step("observe: web-2, web-1, web-0 removed in that order, one at a time; no pod made"):
        wait_for(web.ready(0))
        records = recorder.records
        for ordinal, uid in uids.items():
            assert deleted(records, f"web-{ordinal}", uid), f"web-{ordinal} not seen deleted"
        assert recorder.order_of("TERMINATING") == ["web-2", "web-1", "web-0"], recorder.timeline()
        for first, then in (("web-2", "web-1"), ("web-1", "web-0")):
            in_turn(records[since:], first, then, scale_down=True)
        made = [r.line(records[0].monotonic) for r in records[since:] if r.kind == "ADDED"]
        assert not made, f"pods made while scaling down: {made}"
