"""minReadySeconds holds a StatefulSet's availableReplicas back until a pod has been Ready that long, and a
change of it on a running set is applied to the pods it already has."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clusters.kube.waits import wait_for

pytestmark = pytest.mark.statefulset

MIN_READY = 20
REPLICAS = 2
AN_HOUR = 3600


@pytest.mark.upstream(
    "statefulset.go: MinReadySeconds should be honored when enabled",
    parity="stricter",
    note=f"with minReadySeconds={MIN_READY} no Ready pod is available before it has been Ready that long",
)
@pytest.mark.upstream(
    "statefulset.go: AvailableReplicas should get updated accordingly when MinReadySeconds is enabled",
    parity="stricter",
    note=f"minReadySeconds {MIN_READY} where upstream has 30, Parallel so that both pods are Ready at once "
    "and none available; then available only once each has been Ready that long (judged by its Ready "
    "time, not after a 5 s sleep); "
    f"raised to {AN_HOUR} and lowered to 0 on the running set, status read at the observed generation",
)
def test_available_replicas_wait_for_min_ready_seconds(make_statefulset, step) -> None:
    """With minReadySeconds=20, web-0 and web-1 MUST count in readyReplicas while availableReplicas is
    still 0, and MUST count as available only once each has been Ready for 20 s. Raised to an hour on the
    running set, availableReplicas MUST fall to 0 (the pods are the same); lowered to 0, it MUST be 2 again.

    Fails on: a cluster that ignores minReadySeconds (available as soon as Ready: the gap is shown), or
    that applies a change of it only to pods made later (availableReplicas stays: the status is named)."""
    # Parallel: under OrderedReady web-1 is made only once web-0 is available, so both are never Ready
    # and unavailable at once
    with step(f"act: create web of {REPLICAS}, Parallel, with minReadySeconds={MIN_READY}"):
        web = make_statefulset(
            "web", replicas=REPLICAS, min_ready_seconds=MIN_READY, pod_management_policy="Parallel"
        )

    with step("observe: Ready but not yet available"):
        sts, pods = wait_for(web.ready(REPLICAS, timeout=120))
        assert len(pods) == REPLICAS
        ready_since = [
            next(c.last_transition_time for c in p.status.conditions if c.type == "Ready")
            for p in pods.values()
        ]
        assert (sts.status.available_replicas or 0) == 0, (
            f"availableReplicas {sts.status.available_replicas} while the pods are Ready only since "
            f"{', '.join(map(str, ready_since))}"
        )

    with step(f"observe: available once each has been Ready for {MIN_READY} s"):
        wait_for(web.available(REPLICAS, timeout=MIN_READY + 60))
        ready_for = (datetime.now(UTC) - max(ready_since)).total_seconds()
        assert ready_for >= MIN_READY - 1, (
            f"{REPLICAS} available when the last pod had been Ready only {ready_for:.0f} s "
            f"(since {max(ready_since)})"
        )

    with step(f"act: raise minReadySeconds to {AN_HOUR} on the running set"):
        web.patch({"spec": {"minReadySeconds": AN_HOUR}})

    with step("observe: no pod available any more, the same pods Ready"):
        wait_for(web.available(0, timeout=60))
        _, now = wait_for(web.ready(REPLICAS))
        assert {o: p.metadata.uid for o, p in now.items()} == {o: p.metadata.uid for o, p in pods.items()}

    with step("act: lower minReadySeconds to 0"):
        web.patch({"spec": {"minReadySeconds": 0}})

    with step(f"observe: {REPLICAS} available"):
        wait_for(web.available(REPLICAS, timeout=60))
