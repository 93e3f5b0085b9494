"""OrderedReady does not deadlock: a pod that goes away is made again even while a pod after it is unready,
although the controller otherwise waits for every pod to be Ready before acting further."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for

pytestmark = pytest.mark.statefulset


@pytest.mark.upstream(
    "statefulset.go: should not deadlock when a pod's predecessor fails",
    parity="stricter",
    note="the new web-0 must be created while web-1 has never been Ready, judged on the pod event stream, "
    "and web-1 must stay the same pod (UID), never terminating; upstream needs a default StorageClass "
    "(its readiness is a file on a claim), this needs none",
)
def test_a_deleted_predecessor_is_recreated_while_its_successor_is_unready(
    make_statefulset, pod_events, step
) -> None:
    """In an OrderedReady StatefulSet of 2 with web-0 Ready and web-1 Running but not Ready, a deleted
    web-0 MUST be made again (a new pod, Running) while web-1 is still unready: the controller may not wait
    for web-1 before repairing its predecessor. web-1 MUST stay the same pod, and once both are made Ready
    the set MUST be exactly web-0 and web-1 Ready.

    Fails on: a statefulset controller that holds every action while any pod is unready, so the deleted
    web-0 is never made again (the wait for a new web-0 is named with what was seen), or that replaces
    the unready web-1 instead (its deletion is named)."""
    with step("arrange: web of 2 whose pods are Ready only once told; web-0 Ready, web-1 Running unready"):
        web = make_statefulset("web", replicas=2, readiness_file=True)
        recorder = pod_events(f"{APP_LABEL}=web")
        wait_for(web.running(0))
        web.set_ready_file(0, True)
        old0 = wait_for(web.readiness(0, True))
        web1 = wait_for(web.running(1))
        assert recorder.first_ready("web-1") is None, "web-1 turned Ready before it was told to"

    with step("act: delete web-0"):
        web.delete_pod(0)

    with step("observe: a new web-0 Running while web-1 is still unready, the same pod"):
        new0 = wait_for(web.replaced("web-0", old0.metadata.uid, ready=False))
        made = recorder.first_seen("web-0", new0.metadata.uid)
        assert made is not None, f"the new web-0 is not on the event stream:\n{recorder.timeline()}"
        ready1 = recorder.first_ready("web-1")
        assert ready1 is None or ready1.monotonic > made.monotonic, (
            f"web-1 was Ready before the new web-0 was made:\n{recorder.timeline()}"
        )
        touched = recorder.deletion_started("web-1")
        assert touched is None, f"web-1 was deleted: {touched.line()}\n{recorder.timeline()}"
        assert web.pods()[1].metadata.uid == web1.metadata.uid, "web-1 was replaced"

    with step("act: make web-0 and then web-1 Ready"):
        web.set_ready_file(0, True)
        web.set_ready_file(1, True)

    with step("observe: exactly web-0 and web-1 Ready, web-1 the same pod"):
        _, pods = wait_for(web.ready(2))
        assert pods[0].metadata.uid == new0.metadata.uid, "the new web-0 was replaced again"
        assert pods[1].metadata.uid == web1.metadata.uid, "web-1 was replaced"
