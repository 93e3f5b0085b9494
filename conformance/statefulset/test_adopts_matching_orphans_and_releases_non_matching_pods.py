"""A StatefulSet controls the pods its selector matches: a matching pod without a controller is adopted, a
pod of its own that stops matching is released, and neither is replaced on the way."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.observation.event_recorder import PodRecord, pod_added_or_deleted

pytestmark = pytest.mark.statefulset

#: How web-0's controllerRef must go, event by event: the set's, none (orphaned by the test), the set's
#: again (adopted), none (released by the controller), the set's again (adopted once matching again).
OWNED, ORPHAN = "web", "none"
TRAIL = [OWNED, ORPHAN, OWNED, ORPHAN, OWNED]


def controller_trail(records: list[PodRecord], uid: str, set_uid: str) -> list[str]:
    """The successive controllers of the pod ``uid`` on the event stream, repeats folded."""
    trail: list[str] = []
    for record in records:
        if record.uid != uid:
            continue
        owner = OWNED if record.controller == set_uid else ORPHAN if record.controller is None else "other"
        if not trail or trail[-1] != owner:
            trail.append(owner)
    return trail


@pytest.mark.upstream(
    "statefulset.go: should adopt matching orphans and release non-matching pods",
    parity="stricter",
    note="the pod is the same object (UID) throughout, no pod is created or deleted (every pod event of the "
    "namespace judged), and its controllerRef goes set, none, set, none, set on the event stream; upstream "
    "needs a default StorageClass, this needs none",
)
def test_adopts_a_matching_orphan_and_releases_a_pod_that_stops_matching(
    make_statefulset, pod_events, step
) -> None:
    """web-0 MUST be made with a controllerRef naming the StatefulSet web (kind, name, UID). With its
    owner references removed it MUST be adopted again by web, the same pod (UID); with its labels removed
    it MUST be released (no controllerRef), again not replaced; with its labels back it MUST be adopted
    again and stay web's one Ready pod. Over the whole test no pod in the namespace may be created or
    deleted, and web-0's controllerRef on the event stream MUST go web, none, web, none, web.

    Fails on: a statefulset controller that does not adopt orphans or release pods that stop matching (the
    pod and the controllerRef it has are named), that replaces a pod instead of adopting it (the event is
    named), or admission that strips owner references from pods updated (the orphan stays one)."""
    with step("arrange: a StatefulSet web of 1 Ready, every pod event of the namespace recorded"):
        web = make_statefulset("web", replicas=1)
        sts, pods = wait_for(web.ready(1))
        set_uid, pod_uid = sts.metadata.uid, pods[0].metadata.uid
        recorder = pod_events()
        wait_for(recorder.listed([pod_uid]))

    with step("observe: web-0 was made with a controllerRef naming web"):
        wait_for(web.controller_of(0, pod_uid, set_uid))

    with step("act: remove web-0's owner references"):
        orphaned = web.patch_pod(0, [{"op": "remove", "path": "/metadata/ownerReferences"}])
        assert not orphaned.metadata.owner_references, (
            f"web-0 stored with owner references {orphaned.metadata.owner_references}"
        )

    with step("observe: web adopts web-0 again, the same pod"):
        wait_for(web.controller_of(0, pod_uid, set_uid))

    with step("act: remove web-0's labels"):
        labels = dict(orphaned.metadata.labels or {})
        assert labels, "web-0 had no labels to remove"
        unlabelled = web.patch_pod(0, [{"op": "remove", "path": "/metadata/labels"}])
        assert not unlabelled.metadata.labels, f"web-0 stored with labels {unlabelled.metadata.labels}"

    with step("observe: web releases web-0, the same pod"):
        wait_for(web.controller_of(0, pod_uid, set_uid, owned=False))

    with step("act: give web-0 its labels back"):
        web.patch_pod(0, {"metadata": {"labels": labels}})

    with step("observe: web adopts web-0 again and counts it, the same pod Ready"):
        wait_for(web.controller_of(0, pod_uid, set_uid))
        _, pods = wait_for(web.ready(1))
        assert pods[0].metadata.uid == pod_uid, f"web-0 was replaced: uid {pods[0].metadata.uid}"

    with step("observe: no pod created or deleted; web-0's controllerRef went web, none, web, none, web"):
        records = recorder.records
        assert records, "no pod event recorded"
        changed = pod_added_or_deleted(records)
        assert changed is None, f"a pod was created or deleted: {changed}\n{recorder.timeline()}"
        trail = controller_trail(records, pod_uid, set_uid)
        assert trail == TRAIL, f"web-0's controllerRef went {trail}, not {TRAIL}:\n{recorder.timeline()}"
