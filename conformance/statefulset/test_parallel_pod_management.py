"""With Parallel pod management, a StatefulSet creates all its pods at once, without waiting for any of
them to be Ready."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.events import recent_events
from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.statefulsets import (
    pod_running,
    pods_by_ordinal,
    set_ready_file,
    statefulset_manifest,
    wait_for_statefulset_ready,
)

pytestmark = pytest.mark.statefulset


def test_parallel_creates_every_pod_without_waiting_for_readiness(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """A Parallel StatefulSet of 3 whose pods cannot turn Ready MUST still get web-0, web-1 and web-2
    Running; made Ready, all three MUST be Ready with the status agreeing.

    Fails on: a statefulset controller that treats Parallel like OrderedReady (only web-0 exists: the wait
    names web-1 and web-2 as missing)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    names = ["web-0", "web-1", "web-2"]
    with allure.step("arrange: a Parallel StatefulSet web of 3 whose pods stay unready, pod events recorded"):
        recorder = pod_events(f"{APP_LABEL}=web")
        manifest = statefulset_manifest(
            "web", wc_cluster.toolbox_image, pod_management_policy="Parallel", readiness_file=True
        )

    with allure.step("act: create it"):
        apps.create_namespaced_stateful_set(namespace, manifest)

    with allure.step("observe: all three pods run while none is Ready"):
        for name in names:
            wait_for(
                Probe(
                    pod_running(core, namespace, name),
                    "Running (not Ready: its readiness file is absent)",
                    timeout=120,
                    subject=f"v1 Pod {namespace}/{name}",
                    diagnose=lambda: recent_events(core, namespace),
                )
            )
        assert sorted(p.metadata.name for p in pods_by_ordinal(core, namespace, "web").values()) == names
        ready = [n for n in names if recorder.first_ready(n)]
        assert not ready, f"pods turned Ready without their readiness file: {ready}\n{recorder.timeline()}"

    with allure.step("act: make the pods Ready"):
        for name in names:
            set_ready_file(core, namespace, name, present=True)

    with allure.step("observe: 3/3 Ready"):
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=60)
