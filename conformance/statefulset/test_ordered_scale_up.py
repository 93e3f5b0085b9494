"""With OrderedReady pod management, a StatefulSet creates its pods one at a time in ordinal order, each
only once the one before it is Running and Ready."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.events import recent_events
from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import Probe, WaitTimeout, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.observation.event_recorder import PodRecord
from fixtures.resources.statefulsets import (
    pod_name,
    pod_running,
    scale,
    set_ready_file,
    statefulset_manifest,
    wait_for_statefulset_ready,
)

pytestmark = pytest.mark.statefulset

QUIET_WINDOW = 15  # seconds in which no pod may follow an unready one


def _index(records: list[PodRecord], record: PodRecord | None) -> int:
    return records.index(record) if record is not None else len(records)


def test_scale_up_creates_each_pod_after_the_previous_is_ready(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """Scaling an OrderedReady StatefulSet from 0 to 3 MUST create web-1 only after web-0 was Running
    and Ready, and web-2 only after web-1 was, judged from the order in which the API server sent the
    pods' events.

    Fails on: a statefulset controller that creates pods in parallel or out of order under OrderedReady
    (the pod that appeared too early and the timeline are named)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a StatefulSet web of 0, its pod events recorded"):
        recorder = pod_events(f"{APP_LABEL}=web")
        apps.create_namespaced_stateful_set(
            namespace, statefulset_manifest("web", wc_cluster.toolbox_image, replicas=0)
        )
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=0, timeout=60)

    with allure.step("act: scale to 3"):
        scale(apps, namespace, "web", 3)

    with allure.step("observe: web-1 created after web-0 Ready, web-2 after web-1 Ready"):
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        records = recorder.records
        for ordinal in (1, 2):
            before, after = pod_name("web", ordinal - 1), pod_name("web", ordinal)
            ready, created = recorder.first_ready(before), recorder.first_seen(after)
            assert created is not None, f"{after} never seen:\n{recorder.timeline()}"
            assert ready is not None and _index(records, ready) < _index(records, created), (
                f"{after} was created before {before} was Ready:\n{recorder.timeline()}"
            )
            assert ready.phase == "Running", f"{before} Ready while {ready.phase}:\n{recorder.timeline()}"
        assert recorder.order_of("ADDED") == ["web-0", "web-1", "web-2"], recorder.timeline()


def test_an_unready_pod_holds_back_its_successors(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """While web-0 runs but is not Ready, web-1 MUST NOT be created; once web-0 turns Ready web-1 MUST
    follow, and web-2 only once web-1 turned Ready.

    Fails on: a statefulset controller that creates the next pod when the previous one merely runs
    (web-1 appears within the quiet window: its event is named), or that never resumes once the pod
    turned Ready (the wait names the missing pod)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a StatefulSet web of 3 whose pods stay unready until told otherwise"):
        recorder = pod_events(f"{APP_LABEL}=web")
        apps.create_namespaced_stateful_set(
            namespace, statefulset_manifest("web", wc_cluster.toolbox_image, readiness_file=True)
        )
        wait_for(
            Probe(
                pod_running(core, namespace, "web-0"),
                "Running (its readiness file absent, so not Ready)",
                timeout=120,
                subject=f"v1 Pod {namespace}/web-0",
                diagnose=lambda: recent_events(core, namespace),
            )
        )

    with allure.step(f"observe: no web-1 within {QUIET_WINDOW} s while web-0 is unready"):

        def successor_seen(records: list[PodRecord]) -> str | None:
            others = [r for r in records if r.name != "web-0"]
            return others[0].line(records[0].monotonic) if others else None

        with pytest.raises(WaitTimeout):
            seen = recorder.wait_until(successor_seen, "a pod other than web-0", timeout=QUIET_WINDOW)
            pytest.fail(f"a pod was created while web-0 was not Ready: {seen}\n{recorder.timeline()}")
        assert recorder.first_ready("web-0") is None, f"web-0 turned Ready by itself:\n{recorder.timeline()}"

    for ordinal in (0, 1, 2):
        name = pod_name("web", ordinal)
        with allure.step(f"act: make {name} Ready (touch its readiness file)"):
            wait_for(
                Probe(
                    pod_running(core, namespace, name),
                    "Running",
                    timeout=120,
                    subject=f"v1 Pod {namespace}/{name}",
                    diagnose=lambda: recent_events(core, namespace),
                )
            )
            set_ready_file(core, namespace, name, present=True)

    with allure.step("observe: web-1 and web-2 followed, each after its predecessor turned Ready"):
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        records = recorder.records
        for ordinal in (1, 2):
            before, after = pod_name("web", ordinal - 1), pod_name("web", ordinal)
            ready, created = recorder.first_ready(before), recorder.first_seen(after)
            assert ready is not None and created is not None, recorder.timeline()
            assert _index(records, ready) < _index(records, created), (
                f"{after} was created before {before} was Ready:\n{recorder.timeline()}"
            )
