"""minReadySeconds holds a StatefulSet's availableReplicas back until a pod has been Ready that long."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clusters.kube.waits import wait_for

pytestmark = pytest.mark.statefulset

MIN_READY = 20


@pytest.mark.upstream(
    "statefulset.go: MinReadySeconds should be honored when enabled",
    parity="stricter",
    note="with minReadySeconds=20 the Ready pod is not available before it has been Ready that long",
)
def test_available_replicas_wait_for_min_ready_seconds(make_statefulset, step) -> None:
    """With minReadySeconds=20, web-0 MUST count in readyReplicas while availableReplicas is still 0, and
    MUST count as available only once it has been Ready for 20 s.

    Fails on: a cluster that ignores minReadySeconds (available as soon as Ready: the gap is shown)."""
    with step(f"act: create web of 1 with minReadySeconds={MIN_READY}"):
        web = make_statefulset("web", replicas=1, min_ready_seconds=MIN_READY)

    with step("observe: Ready but not yet available"):
        sts, pods = wait_for(web.ready(1, timeout=120))
        ready_since = next(c.last_transition_time for c in pods[0].status.conditions if c.type == "Ready")
        assert (sts.status.available_replicas or 0) == 0, (
            f"availableReplicas {sts.status.available_replicas} while web-0 Ready only since {ready_since}"
        )

    with step(f"observe: available once Ready for {MIN_READY} s"):
        wait_for(web.available(1, timeout=MIN_READY + 60))
        ready_for = (datetime.now(UTC) - ready_since).total_seconds()
        assert ready_for >= MIN_READY - 1, (
            f"available after being Ready only {ready_for:.0f} s (since {ready_since})"
        )
