"""minReadySeconds holds a StatefulSet's availableReplicas back until a pod has been Ready that long."""

from __future__ import annotations

from datetime import UTC, datetime

import allure
import pytest
from kubernetes import client

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.statefulsets import generation_observed, statefulset_manifest

pytestmark = pytest.mark.statefulset

MIN_READY = 20


def test_available_replicas_wait_for_min_ready_seconds(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    """With minReadySeconds=20, web-0 MUST count in readyReplicas while availableReplicas is still 0, and
    MUST count as available only once it has been Ready for 20 s.

    Fails on: a cluster that ignores minReadySeconds (available as soon as Ready: the gap is shown)."""
    apps = wc_cluster.apps
    with allure.step(f"act: create web of 1 with minReadySeconds={MIN_READY}"):
        manifest = statefulset_manifest(
            "web", wc_cluster.toolbox_image, replicas=1, min_ready_seconds=MIN_READY
        )
        apps.create_namespaced_stateful_set(namespace, manifest)

    def status() -> client.V1StatefulSet:
        return generation_observed(apps, namespace, "web")

    with allure.step("observe: Ready but not yet available"):

        def ready() -> client.V1StatefulSet:
            sts = status()
            if (sts.status.ready_replicas or 0) < 1:
                raise NotYet(f"readyReplicas {sts.status.ready_replicas}")
            return sts

        sts = wait_for(
            Probe(ready, "web-0 Ready", timeout=120, subject=f"apps/v1 StatefulSet {namespace}/web")
        )
        pod = wc_cluster.core.read_namespaced_pod("web-0", namespace)
        ready_since = next(c.last_transition_time for c in pod.status.conditions if c.type == "Ready")
        assert (sts.status.available_replicas or 0) == 0, (
            f"availableReplicas {sts.status.available_replicas} while web-0 Ready only since {ready_since}"
        )

    with allure.step(f"observe: available once Ready for {MIN_READY} s"):

        def available() -> client.V1StatefulSet:
            sts = status()
            if (sts.status.available_replicas or 0) < 1:
                raise NotYet(f"availableReplicas {sts.status.available_replicas}")
            return sts

        wait_for(
            Probe(
                available,
                "web-0 available",
                timeout=MIN_READY + 60,
                subject=f"apps/v1 StatefulSet {namespace}/web",
            )
        )
        ready_for = (datetime.now(UTC) - ready_since).total_seconds()
        assert ready_for >= MIN_READY - 1, (
            f"available after being Ready only {ready_for:.0f} s (since {ready_since})"
        )
