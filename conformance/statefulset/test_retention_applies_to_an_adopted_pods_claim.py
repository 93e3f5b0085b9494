"""A pod a StatefulSet adopts back after it was orphaned is its pod again in every respect, its claim
included: the claim retention policy deletes that pod's claim as it deletes the others'."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.handles import controller_uid
from clusters.kube.waits import Aborted, NotYet, Probe, wait_for
from fixtures.resources.claims import owned_by, owners_are
from fixtures.resources.pods import existing_pod
from fixtures.resources.statefulset_manifests import claim_name, retention
from fixtures.resources.statefulsets import StatefulSet

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(3)]


def orphan_web_2(web: StatefulSet) -> client.V1Pod:
    """Remove web-2's owner references and check they were stored so; returns the orphan."""
    before = existing_pod(web.core, web.namespace, web.pod_name(2))
    remove = [{"op": "remove", "path": "/metadata/ownerReferences"}]
    stored = web.core.patch_namespaced_pod(web.pod_name(2), web.namespace, remove)
    assert stored.metadata.uid == before.metadata.uid, "web-2 was replaced before it could be orphaned"
    assert controller_uid(stored) is None, (
        f"web-2 kept its owner references: {stored.metadata.owner_references}"
    )
    return stored


def adopted(web: StatefulSet, orphan: client.V1Pod, set_uid: str) -> Probe[client.V1Pod]:
    """That same pod (its UID) under web-2's name, controlled by web (``set_uid``) again."""

    def check() -> client.V1Pod:
        pod = existing_pod(web.core, web.namespace, web.pod_name(2))
        if pod.metadata.uid != orphan.metadata.uid:
            raise Aborted(
                f"web-2 is another pod (uid {pod.metadata.uid}): the orphan was replaced, not adopted"
            )
        if controller_uid(pod) != set_uid:
            raise NotYet(f"web-2's controller is {controller_uid(pod)}")
        return pod

    return web.probe(check, f"the orphaned web-2 (uid {orphan.metadata.uid}) adopted by web (uid {set_uid})")


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(
            "whenDeleted",
            id="whenDeleted",
            marks=pytest.mark.upstream(
                "statefulset.go: should delete PVCs after adopting pod (WhenDeleted)",
                parity="stricter",
                note="the orphan is adopted back by its UID (the same pod, controlled by the set's UID) "
                "before the set is deleted; every claim controlled by the set by UID",
            ),
        ),
        pytest.param(
            "whenScaled",
            id="whenScaled",
            marks=pytest.mark.upstream(
                "statefulset.go: should delete PVCs after adopting pod (WhenScaled)",
                parity="stricter",
                note="the orphan is adopted back by its UID before the scale-down; claims in range have no "
                "owner; data-web-0 stays the same claim (UID)",
            ),
        ),
    ],
)
def test_retention_deletes_the_claim_of_a_readopted_pod(make_statefulset_with_claims, step, policy) -> None:
    """With a StatefulSet web of 3 whose retention policy has ``policy``: Delete, web-2 orphaned (owner
    references removed) MUST be adopted back by web, the same pod (UID) controlled by web's UID. Then,
    for whenDeleted, deleting web MUST delete data-web-0..2, each controlled by web beforehand; for
    whenScaled, scaling to 1 MUST delete data-web-1 and data-web-2, data-web-2 included, and keep
    data-web-0 (same UID, not being deleted).

    Fails on: a statefulset controller that does not adopt the orphan back (its controller is named), or
    that leaves the adopted pod's claim out of the retention policy (the claim left is named)."""
    with step(f"arrange: StatefulSet web of 3 with {policy}: Delete"):
        kept = (
            retention(when_deleted="Delete") if policy == "whenDeleted" else retention(when_scaled="Delete")
        )
        web, _, bound = make_statefulset_with_claims("web", retention_policy=kept)
        sts = web.read()
        owners = [owned_by(sts)] if policy == "whenDeleted" else []
        wait_for(owners_are(web, dict.fromkeys(CLAIMS, owners)))

    with step("act: orphan web-2 (remove its owner references)"):
        orphan = orphan_web_2(web)

    with step("observe: web adopts that same web-2 back; the claims' owners unchanged"):
        wait_for(adopted(web, orphan, sts.metadata.uid))
        wait_for(owners_are(web, dict.fromkeys(CLAIMS, owners)))

    if policy == "whenDeleted":
        with step("act: delete the StatefulSet"):
            web.delete()
        with step("observe: every claim, data-web-2 included, deleted with it"):
            wait_for(web.deleted(uid=sts.metadata.uid))
            wait_for(web.claims_gone(CLAIMS).described("every claim deleted with the StatefulSet"))
    else:
        with step("act: scale to 1"):
            web.scale(1)
        with step("observe: data-web-1 and data-web-2 deleted, data-web-0 the same claim"):
            wait_for(web.ready(1, timeout=120))
            wait_for(web.pod(2).deleted(uid=orphan.metadata.uid).described("the adopted web-2 gone"))
            wait_for(web.claims_gone(CLAIMS[1:]).described("the claims of the removed ordinals deleted"))
            left = web.claims()
            assert CLAIMS[0] in left, f"data-web-0 was deleted; claims now: {sorted(left)}"
            assert left[CLAIMS[0]].metadata.uid == bound[CLAIMS[0]].metadata.uid, "data-web-0 was replaced"
            assert left[CLAIMS[0]].metadata.deletion_timestamp is None, "data-web-0 is being deleted"
