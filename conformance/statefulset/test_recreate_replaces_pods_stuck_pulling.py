"""The Recreate update strategy (alpha) replaces pods stuck on an image they cannot pull once the template
is fixed, whatever the pod management policy, which it keeps. Optional: outside the conformance verdict,
not verified where the feature gate is off."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.recreate_strategy import (
    BROKEN_IMAGE,
    OPTIONAL_REASON,
    make_recreate_set,
    set_image,
    stuck_pulling,
)
from fixtures.resources.statefulsets import template_mark

pytestmark = [pytest.mark.statefulset, pytest.mark.optional(OPTIONAL_REASON)]

REPLICAS = 5


@pytest.mark.parametrize(
    ("policy", "stuck"),
    [
        pytest.param(
            "OrderedReady",
            [0],
            id="ordered-ready",
            marks=pytest.mark.upstream(
                "statefulset.go: should recreate stuck pods with ImagePullBackOff "
                "when the update strategy is Recreate",
                parity="stricter",
                note="exactly web-0 stuck (the others not made), then every pod new by UID and running "
                "the fixed template",
            ),
        ),
        pytest.param(
            "Parallel",
            list(range(REPLICAS)),
            id="parallel",
            marks=pytest.mark.upstream(
                "statefulset.go: should preserve Parallel PodManagementPolicy when recreating pods with "
                "recreate strategy",
                parity="stricter",
                note="all 5 stuck at once, then every pod new by UID and running the fixed template",
            ),
        ),
    ],
)
def test_recreate_replaces_pods_stuck_on_an_image_once_fixed(
    policy: str, stuck: list[int], wc_cluster, make_statefulset, step
) -> None:
    """Where the API server takes updateStrategy Recreate, a StatefulSet of 5 updated to an image no
    registry serves MUST be left with exactly the pods its policy makes without waiting (OrderedReady:
    web-0 alone; Parallel: all 5), each unable to pull; updated again to a working template, every pod MUST
    be a new one Ready at the update revision running that template, currentRevision equal to
    updateRevision.

    Fails on: a statefulset controller that keeps stuck pods after the fix or loses the Parallel policy
    while recreating (the pods seen are named). Not verified where the StatefulSetRecreateStrategy gate is
    off."""
    with step(f"arrange: web of {REPLICAS}, {policy}, the Recreate strategy, Ready"):
        web = make_recreate_set(make_statefulset, replicas=REPLICAS, pod_management_policy=policy)
        _, before = wait_for(web.ready(REPLICAS))

    with step(f"act: update the image to {BROKEN_IMAGE}"):
        set_image(web, BROKEN_IMAGE, "broken")

    with step(f"observe: exactly {', '.join(web.pod_name(o) for o in stuck)} stuck pulling"):
        wait_for(stuck_pulling(web, stuck, timeout=180))

    with step("act: update to a working template"):
        set_image(web, wc_cluster.toolbox_image, "fixed")

    with step("observe: every pod new, Ready at the update revision, running the fixed template"):
        sts, after = wait_for(web.ready(REPLICAS, timeout=240))
        kept = sorted(p.metadata.name for o, p in after.items() if p.metadata.uid == before[o].metadata.uid)
        assert not kept, f"not recreated: {kept}"
        marks = {p.metadata.name: template_mark(p) for p in after.values()}
        assert set(marks.values()) == {"fixed"}, f"pods not running the fixed template: {marks}"
        assert sts.status.current_revision == sts.status.update_revision
