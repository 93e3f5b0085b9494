"""A StatefulSet rolling update honours maxUnavailable where the cluster enables it."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.labels import APP_LABEL
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.observation.rollout import most_unavailable
from fixtures.resources.statefulsets import (
    rolling_update,
    statefulset_manifest,
    update_template,
    wait_for_statefulset_ready,
)

pytestmark = pytest.mark.statefulset

MAX_UNAVAILABLE = 2


def test_rolling_update_honours_max_unavailable(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """Where the MaxUnavailableStatefulSet feature is on (probed: the API server keeps the field), an
    update of 3 Parallel pods with maxUnavailable=2 MUST never have more than 2 of them unavailable at
    once, judged over the whole rollout from the event stream. Skipped, with the reason, where it is off.

    Fails on: a statefulset controller that replaces more pods at once than allowed (the moment and the
    pods are named), or that never finishes the rollout."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step(f"arrange: web of 3, Parallel, maxUnavailable={MAX_UNAVAILABLE}; probe the feature"):
        manifest = statefulset_manifest(
            "web",
            wc_cluster.toolbox_image,
            pod_management_policy="Parallel",
            update_strategy=rolling_update(max_unavailable=MAX_UNAVAILABLE),
        )
        created = apps.create_namespaced_stateful_set(namespace, manifest)
        kept = created.spec.update_strategy.rolling_update.max_unavailable
        allure.attach(
            f"spec.updateStrategy.rollingUpdate.maxUnavailable after create: {kept!r}", "feature probe"
        )
        if kept is None:
            pytest.skip(
                "the MaxUnavailableStatefulSet feature is off on this cluster: the API server dropped "
                "spec.updateStrategy.rollingUpdate.maxUnavailable"
            )
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        recorder = pod_events(f"{APP_LABEL}=web")
        uids = {p.metadata.uid for p in pods.values()}
        recorder.wait_until(lambda records: uids <= {r.uid for r in records} or None, "every pod listed")

    with allure.step("act: change the pod template"):
        update_template(apps, namespace, "web", "2")

    with allure.step(
        f"observe: the rollout finishes and never had more than {MAX_UNAVAILABLE} pods unavailable"
    ):
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=240)
        records = recorder.records
        worst = most_unavailable(records, {"web-0", "web-1", "web-2"}, by="name")
        allure.attach(worst.describe(records[0].monotonic), "most pods unavailable at once")
        assert worst.value <= MAX_UNAVAILABLE, (
            f"more than {MAX_UNAVAILABLE} unavailable: {worst.describe(records[0].monotonic)}"
        )
