"""spec.ordinals.start shifts a StatefulSet's pod names and indexes."""

from __future__ import annotations

import allure
import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.statefulsets import statefulset_manifest, wait_for_statefulset_ready

pytestmark = pytest.mark.statefulset

POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def test_ordinals_start_shifts_the_names(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    """With ordinals.start=5 and 3 replicas, the pods MUST be exactly web-5, web-6, web-7, with pod-index
    labels 5, 6, 7.

    Fails on: a cluster that ignores spec.ordinals (web-0..2 appear and are named as unexpected), or an
    API server that drops the field."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("act: create web with ordinals.start=5, 3 replicas"):
        created = apps.create_namespaced_stateful_set(
            namespace, statefulset_manifest("web", wc_cluster.toolbox_image, ordinals_start=5)
        )
        assert created.spec.ordinals is not None and created.spec.ordinals.start == 5, (
            "spec.ordinals was dropped"
        )
    with allure.step("observe: exactly web-5, web-6, web-7 Ready, indexed 5..7"):
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, start=5)
        assert sorted(p.metadata.name for p in pods.values()) == ["web-5", "web-6", "web-7"]
        assert {o: p.metadata.labels[POD_INDEX_LABEL] for o, p in pods.items()} == {5: "5", 6: "6", 7: "7"}
