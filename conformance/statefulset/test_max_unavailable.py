"""A StatefulSet rolling update honours maxUnavailable where the cluster enables it."""

from __future__ import annotations

import re

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.premise import PremiseRewritten
from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for
from fixtures.observation.rollout import most_unavailable
from fixtures.resources.statefulset_manifests import rolling_update

pytestmark = pytest.mark.statefulset

MAX_UNAVAILABLE = 2
FEATURE_ON_BY_DEFAULT = (1, 35)


def on_by_default(version: str) -> bool:
    """MaxUnavailableStatefulSet is beta, on by default, from v1.35."""
    match = re.match(r"v?(\d+)\.(\d+)", version)
    return match is not None and (int(match[1]), int(match[2])) >= FEATURE_ON_BY_DEFAULT


def test_rolling_update_honours_max_unavailable(wc_cluster, make_statefulset, pod_events, step) -> None:
    """Where the MaxUnavailableStatefulSet feature is on (probed: the API server keeps the field), an
    update of 3 Parallel pods with maxUnavailable=2 MUST never have more than 2 of them unavailable at
    once, judged over the whole rollout from the event stream. From v1.35 the feature is on by default,
    so a server that drops the field is broken; before v1.35 that is not verified, saying so.

    Fails on: a statefulset controller that replaces more pods at once than allowed (the moment and the
    pods are named), or that never finishes the rollout; an admission policy or a disabled default feature
    that drops or lowers maxUnavailable (the field, sent and stored, is named)."""
    with step(f"arrange: web of 3, Parallel, maxUnavailable={MAX_UNAVAILABLE}, stored as sent"):
        try:
            web = make_statefulset(
                "web",
                pod_management_policy="Parallel",
                update_strategy=rolling_update(max_unavailable=MAX_UNAVAILABLE),
            )
        except PremiseRewritten as rewritten:
            version = wc_cluster.version
            if on_by_default(version):
                raise  # broken: the field is named, sent and stored
            raise NotVerified(
                f"the MaxUnavailableStatefulSet feature (off by default before v1.35) is off on {version}: "
                f"{rewritten}",
                remedy="enable the feature gate, or leave this guarantee out with -k 'not max_unavailable'",
            ) from None
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
