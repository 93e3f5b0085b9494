"""A StatefulSet rolling update honours maxUnavailable where the cluster enables it."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.observation.rollout import most_unavailable
from fixtures.resources.statefulset_manifests import rolling_update

pytestmark = pytest.mark.statefulset

MAX_UNAVAILABLE = 2


def test_rolling_update_honours_max_unavailable(make_statefulset, pod_events, step) -> None:
    """Where the MaxUnavailableStatefulSet feature is on (probed: the API server keeps the field), an
    update of 3 Parallel pods with maxUnavailable=2 MUST never have more than 2 of them unavailable at
    once, judged over the whole rollout from the event stream. Skipped, with the reason, where it is off.

    Fails on: a statefulset controller that replaces more pods at once than allowed (the moment and the
    pods are named), or that never finishes the rollout."""
    with step(f"arrange: web of 3, Parallel, maxUnavailable={MAX_UNAVAILABLE}; probe the feature"):
        web = make_statefulset(
            "web",
            pod_management_policy="Parallel",
            update_strategy=rolling_update(max_unavailable=MAX_UNAVAILABLE),
        )
        kept = web.read().spec.update_strategy.rolling_update.max_unavailable
        step.attach(
            f"spec.updateStrategy.rollingUpdate.maxUnavailable after create: {kept!r}", "feature probe"
        )
        if kept is None:
            pytest.skip(
                "the MaxUnavailableStatefulSet feature is off on this cluster: the API server dropped "
                "spec.updateStrategy.rollingUpdate.maxUnavailable"
            )
        _, pods = wait_for(web.ready(3))
        recorder = pod_events(f"{APP_LABEL}=web")
        uids = {p.metadata.uid for p in pods.values()}
        wait_for(recorder.listed(uids))

    with step("act: change the pod template"):
        web.update_template("2")

    with step(f"observe: the rollout finishes and never had more than {MAX_UNAVAILABLE} pods unavailable"):
        wait_for(web.ready(3, timeout=240))
        records = recorder.records
        worst = most_unavailable(records, {"web-0", "web-1", "web-2"}, by="name")
        step.attach(worst.describe(records[0].monotonic), "most pods unavailable at once")
        assert worst.value <= MAX_UNAVAILABLE, (
            f"more than {MAX_UNAVAILABLE} unavailable: {worst.describe(records[0].monotonic)}"
        )
