"""With Parallel pod management, a StatefulSet creates all its pods at once, without waiting for any of
them to be Ready."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for

pytestmark = pytest.mark.statefulset


def test_parallel_creates_every_pod_without_waiting_for_readiness(make_statefulset, pod_events, step) -> None:
    """A Parallel StatefulSet of 3 whose pods cannot turn Ready MUST still get web-0, web-1 and web-2
    Running; made Ready, all three MUST be Ready with the status agreeing.

    Fails on: a statefulset controller that treats Parallel like OrderedReady (only web-0 exists: the wait
    names web-1 and web-2 as missing)."""
    names = ["web-0", "web-1", "web-2"]
    with step("arrange: pod events of web recorded"):
        recorder = pod_events(f"{APP_LABEL}=web")

    with step("act: create a Parallel StatefulSet web of 3 whose pods stay unready"):
        web = make_statefulset("web", pod_management_policy="Parallel", readiness_file=True)

    with step("observe: all three pods run while none is Ready"):
        for ordinal in range(3):
            wait_for(web.running(ordinal))
        assert sorted(p.metadata.name for p in web.pods().values()) == names
        ready = [n for n in names if recorder.first_ready(n)]
        assert not ready, f"pods turned Ready without their readiness file: {ready}\n{recorder.timeline()}"

    with step("act: make the pods Ready"):
        for ordinal in range(3):
            web.set_ready_file(ordinal, present=True)

    with step("observe: 3/3 Ready"):
        wait_for(web.ready(3, timeout=60))
