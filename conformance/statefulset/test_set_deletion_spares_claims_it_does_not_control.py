"""whenDeleted: Delete makes the StatefulSet the controller of its claims, beside any owner that is no
controller, but never over another controller, even a stale StatefulSet one: the set's deletion then
takes the claims it controls and no other."""

from __future__ import annotations

import uuid

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.kube.waits import wait_for
from fixtures.resources.claims import (
    Owner,
    owned_by,
    owner_reference,
    owners_are,
    set_owner_references,
)
from fixtures.resources.statefulset_manifests import claim_name

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(4)]
#: Keeps data-web-3 in the API after the garbage collector deletes it for its stale owner.
KEEP = "workload-conformance.dev/keep"


def _release(core: client.CoreV1Api, namespace: str) -> None:
    """Remove KEEP from data-web-3, if it is still there."""
    try:
        core.patch_namespaced_persistent_volume_claim(
            CLAIMS[3], namespace, {"metadata": {"$deleteFromPrimitiveList/finalizers": [KEEP]}}
        )
    except ApiException as err:
        if err.status != 404:
            raise


@pytest.mark.upstream(
    "statefulset.go: should not delete PVCs when there is another controller",
    parity="stricter",
    note="owners judged by kind, name, UID and controller flag; the spared claims are the same objects (UID) "
    "after the set is gone, and data-web-1 not even being deleted",
)
def test_the_set_controls_only_claims_without_another_controller(
    make_statefulset_with_claims, namespace, request, step
) -> None:
    """With a StatefulSet web of 4 (claims retained), data-web-1 owned by a ConfigMap (not as controller)
    and data-web-3 controlled by a StatefulSet that does not exist (a stale UID, kept by a finalizer),
    setting whenDeleted: Delete MUST make web (its UID) the controller of data-web-0 and data-web-2, add it
    beside the ConfigMap on data-web-1, and leave data-web-3's owner alone. A controller flag taken off
    data-web-0's reference MUST be put back after the next change of the set. Deleting web MUST then
    delete data-web-0 and data-web-2 and keep data-web-1 (same UID, not being deleted) and data-web-3
    (same UID).

    Fails on: a statefulset controller that overrides another controller, drops an owner that is no
    controller, or leaves a claim without its controller flag (the claim's owners are named), or that
    deletes a claim it does not control with the set (its absence is named)."""
    with step(
        "arrange: StatefulSet web of 4; data-web-1 owned by ConfigMap other, data-web-3 by a stale set"
    ):
        web, _, bound = make_statefulset_with_claims("web", replicas=4)
        other = web.core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="other"))
        )
        other_owner = owned_by(other)._replace(controller=False)
        stale = Owner("StatefulSet", "unknown", str(uuid.uuid4()))
        set_owner_references(web.core, namespace, CLAIMS[1], [owner_reference(other_owner, "v1")])
        request.addfinalizer(lambda: _release(web.core, namespace))
        web.core.patch_namespaced_persistent_volume_claim(
            CLAIMS[3], namespace, [{"op": "add", "path": "/metadata/finalizers/-", "value": KEEP}]
        )
        set_owner_references(
            web.core, namespace, CLAIMS[3], [owner_reference(stale, "apps/v1", block_owner_deletion=True)]
        )
        web_owner = owned_by(web.read())

    with step("act: set whenDeleted: Delete"):
        web.patch({"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}})

    expected = {
        CLAIMS[0]: [web_owner],
        CLAIMS[1]: [other_owner, web_owner],
        CLAIMS[2]: [web_owner],
        CLAIMS[3]: [stale],
    }
    with step("observe: web controls data-web-0 and -2, beside ConfigMap other on -1; data-web-3 untouched"):
        wait_for(owners_are(web, expected))

    with step("act: take the controller flag off web's reference on data-web-0; set whenScaled: Delete too"):
        demoted = web_owner._replace(controller=False)
        set_owner_references(
            web.core, namespace, CLAIMS[0], [owner_reference(demoted, "apps/v1", block_owner_deletion=True)]
        )
        web.patch({"spec": {"persistentVolumeClaimRetentionPolicy": {"whenScaled": "Delete"}}})

    with step("observe: web is data-web-0's controller again, the other claims unchanged"):
        wait_for(owners_are(web, expected))

    with step("act: delete the StatefulSet"):
        sts_uid = web_owner.uid
        web.delete()
        wait_for(web.deleted(uid=sts_uid))

    with step("observe: data-web-0 and data-web-2 deleted; data-web-1 and data-web-3 stay, the same claims"):
        wait_for(web.claims_gone([CLAIMS[0], CLAIMS[2]]).described("the claims web controlled deleted"))
        left = web.claims()
        for name in (CLAIMS[1], CLAIMS[3]):
            assert name in left, f"{name} was deleted with the set; claims now: {sorted(left)}"
            assert left[name].metadata.uid == bound[name].metadata.uid, f"{name} was replaced"
        assert left[CLAIMS[1]].metadata.deletion_timestamp is None, f"{CLAIMS[1]} is being deleted"
