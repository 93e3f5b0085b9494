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


@pytest.mark.parametrize(
    ("replicas", "policy"),
    [
        pytest.param(3, "Parallel", id="parallel-3"),
        pytest.param(
            5,
            "OrderedReady",
            id="ordered-ready-5",
            marks=pytest.mark.upstream(
                "statefulset.go: should perform rolling updates with maxUnavailable",
                parity="stricter",
                note="the bound is judged at every moment of the rollout from the pod event stream, and the "
                f"rollout must use it: {MAX_UNAVAILABLE} pods unavailable at once at some moment (a "
                "controller replacing one at a time passes upstream); the template change is an env value",
            ),
        ),
    ],
)
def test_rolling_update_honours_max_unavailable(
    replicas: int, policy: str, wc_cluster, make_statefulset, pod_events, step
) -> None:
    """Where the MaxUnavailableStatefulSet feature is on (probed: the API server keeps the field), an
    update of 3 Parallel pods, or of 5 OrderedReady ones, with maxUnavailable=2 MUST never have more than
    2 of them unavailable at once, and MUST have 2 unavailable at some moment (the bound is used), judged
    over the whole rollout from the event stream; every pod then Ready at the update revision. From v1.35
    the feature is on by default, so a server that drops the field is broken; before v1.35 that is not
    verified, saying so.

    Fails on: a statefulset controller that replaces more pods at once than allowed, or fewer (one at a
    time: the feature off in the controller manager), naming the moment and the pods, or that never
    finishes the rollout; an admission policy or a disabled default feature that drops or lowers
    maxUnavailable (the field, sent and stored, is named)."""
    names = {f"web-{o}" for o in range(replicas)}
    with step(f"arrange: web of {replicas}, {policy}, maxUnavailable={MAX_UNAVAILABLE}, stored as sent"):
        try:
            web = make_statefulset(
                "web",
                replicas=replicas,
                pod_management_policy=policy,
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
        _, pods = wait_for(web.ready(replicas))
        recorder = pod_events(f"{APP_LABEL}=web")
        uids = {p.metadata.uid for p in pods.values()}
        wait_for(recorder.listed(uids))

    with step("act: change the pod template"):
        update = web.update_template("2")

    with step(
        f"observe: the rollout finishes and had at most, and at some moment, {MAX_UNAVAILABLE} unavailable"
    ):
        sts, pods = wait_for(web.ready(replicas, timeout=240))
        assert sts.status.update_revision == update and (sts.status.updated_replicas or 0) == replicas
        assert not uids & {p.metadata.uid for p in pods.values()}, "a pod was not replaced"
        records = recorder.records
        worst = most_unavailable(records, names, by="name")
        step.attach(worst.describe(records[0].monotonic), "most pods unavailable at once")
        assert worst.value <= MAX_UNAVAILABLE, (
            f"more than {MAX_UNAVAILABLE} unavailable: {worst.describe(records[0].monotonic)}"
        )
        assert worst.value == MAX_UNAVAILABLE, (
            f"never {MAX_UNAVAILABLE} unavailable at once (maxUnavailable unused): "
            f"{worst.describe(records[0].monotonic)}\n{recorder.timeline()}"
        )
