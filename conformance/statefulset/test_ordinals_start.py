"""spec.ordinals.start shifts a StatefulSet's pod names and indexes, at creation and on a running set: a
change of it makes the ordinals that enter the range and removes those that leave it, keeping the pods
of the ordinals in both."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for
from fixtures.resources.statefulset_manifests import POD_INDEX_LABEL
from fixtures.resources.statefulsets import StatefulSet

pytestmark = pytest.mark.statefulset

NOTE = "on a running set, judged by exact names and pod-index labels; a pod whose ordinal stays in range "
NOTE += "is the same pod (UID), the others new"


def shifted(
    web: StatefulSet, before: dict[int, client.V1Pod], replicas: int, start: int
) -> dict[int, client.V1Pod]:
    """Wait for exactly web-<start>..web-<start+replicas-1> Ready, indexed by their ordinals; the pods of
    ordinals also in ``before`` MUST be the same pods, the others new. Returns the pods by ordinal."""
    _, pods = wait_for(web.ready(replicas, start=start))
    expected = set(range(start, start + replicas))
    assert set(pods) == expected, f"pods {sorted(p.metadata.name for p in pods.values())}"
    indexes = {o: (p.metadata.labels or {}).get(POD_INDEX_LABEL) for o, p in pods.items()}
    assert indexes == {o: str(o) for o in expected}, f"{POD_INDEX_LABEL} labels: {indexes}"
    old = {p.metadata.uid: o for o, p in before.items()}
    for ordinal, pod in sorted(pods.items()):
        if ordinal in before:
            assert pod.metadata.uid == before[ordinal].metadata.uid, (
                f"web-{ordinal} stayed in range, replaced"
            )
        else:
            assert pod.metadata.uid not in old, f"web-{ordinal} is the old web-{old[pod.metadata.uid]}"
    return pods


@pytest.mark.upstream("statefulset.go: Setting .start.ordinal", parity="stricter", note=NOTE)
@pytest.mark.upstream("statefulset.go: Increasing .start.ordinal", parity="stricter", note=NOTE)
@pytest.mark.upstream("statefulset.go: Decreasing .start.ordinal", parity="stricter", note=NOTE)
@pytest.mark.upstream("statefulset.go: Removing .start.ordinal", parity="stricter", note=NOTE)
def test_ordinals_start_shifts_the_names(make_statefulset, step) -> None:
    """Created with ordinals.start=3 and 2 replicas, the pods MUST be exactly web-3 and web-4, with pod-index
    labels 3 and 4. With spec.ordinals removed they MUST become web-0 and web-1; set to start 2 with 3
    replicas, web-2..web-4; raised to 4, web-4..web-6; lowered to 3, web-3..web-5. Each time a pod whose
    ordinal stays in range MUST be the same pod, every other a new one.

    Fails on: a cluster that ignores spec.ordinals (web-0.. appear and are named as unexpected), or an
    API server that drops the field, or a controller that keeps the old names after a change or replaces
    pods that stay in range (the pod is named)."""
    with step("act: create web with ordinals.start=3, 2 replicas"):
        web = make_statefulset("web", replicas=2, ordinals_start=3)
        stored = web.read()
        assert stored.spec.ordinals is not None and stored.spec.ordinals.start == 3, (
            "spec.ordinals was dropped"
        )

    with step("observe: exactly web-3 and web-4 Ready, indexed 3 and 4"):
        pods = shifted(web, {}, 2, 3)

    with step("act: remove spec.ordinals"):
        web.patch({"spec": {"ordinals": None}})

    with step("observe: exactly web-0 and web-1, new pods"):
        pods = shifted(web, pods, 2, 0)

    with step("act: set ordinals.start=2 and 3 replicas"):
        web.patch({"spec": {"ordinals": {"start": 2}, "replicas": 3}})

    with step("observe: exactly web-2, web-3, web-4, new pods"):
        pods = shifted(web, pods, 3, 2)

    with step("act: raise ordinals.start to 4"):
        web.patch({"spec": {"ordinals": {"start": 4}}})

    with step("observe: exactly web-4, web-5, web-6; web-4 the same pod"):
        pods = shifted(web, pods, 3, 4)

    with step("act: lower ordinals.start to 3"):
        web.patch({"spec": {"ordinals": {"start": 3}}})

    with step("observe: exactly web-3, web-4, web-5; web-4 and web-5 the same pods"):
        shifted(web, pods, 3, 3)
