"""whenScaled: Delete deletes the claims of removed ordinals that the StatefulSet may take, not a claim
another controller owns: that claim stays, with only its owner, until the other controller lets it go."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for
from fixtures.resources.claims import (
    mounted_claim,
    owned_by,
    owner_reference,
    owners_are,
    set_owner_references,
)
from fixtures.resources.statefulset_manifests import claim_name

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(3)]


@pytest.mark.upstream(
    "statefulset.go: should not delete PVC with OnScaledown policy if another controller owns the PVC",
    parity="stricter",
    note="the spared claim is the same object (UID) with exactly its one owner (no set or pod reference "
    "added), the others gone by name; once released it is reused by web-1 (UID) and then deleted on the "
    "next scale-down while data-web-0 stays the same claim",
)
def test_a_claim_controlled_by_another_owner_survives_scale_down(
    make_statefulset_with_claims, namespace, step
) -> None:
    """With a StatefulSet web of 3 (claims retained) and data-web-1 controlled by a ConfigMap keeper, setting
    whenScaled: Delete and scaling to 0 MUST delete data-web-0 and data-web-2 and keep data-web-1 (same UID,
    not being deleted, owned by keeper alone). Once keeper's reference is removed, scaling to 2 MUST give
    web-1 that same data-web-1 and web-0 a new data-web-0, and scaling to 1 MUST then delete data-web-1 and
    keep data-web-0 (same UID).

    Fails on: a statefulset controller that deletes a claim another controller owns, or takes it over (its
    owners are named), or that forgets the claim once released (the claim left is named)."""
    with step("arrange: StatefulSet web of 3 with claims; data-web-1 controlled by ConfigMap keeper"):
        web, _, bound = make_statefulset_with_claims("web")
        keeper = web.core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="keeper"))
        )
        kept_by = owned_by(keeper)
        set_owner_references(web.core, namespace, CLAIMS[1], [owner_reference(kept_by, "v1")])

    with step("act: set whenScaled: Delete and scale to 0"):
        web.patch({"spec": {"persistentVolumeClaimRetentionPolicy": {"whenScaled": "Delete"}}})
        web.scale(0)

    with step("observe: data-web-0 and data-web-2 deleted; data-web-1 the same claim, keeper its only owner"):
        wait_for(web.ready(0, timeout=120))
        wait_for(web.claims_gone([CLAIMS[0], CLAIMS[2]]).described("the claims web may take deleted"))
        spared = wait_for(owners_are(web, {CLAIMS[1]: [kept_by]}))[CLAIMS[1]]
        assert spared.metadata.uid == bound[CLAIMS[1]].metadata.uid, f"{CLAIMS[1]} was replaced"
        assert spared.metadata.deletion_timestamp is None, f"{CLAIMS[1]} is being deleted"

    with step("act: remove keeper's reference from data-web-1, scale to 2"):
        set_owner_references(web.core, namespace, CLAIMS[1], [])
        web.scale(2)

    with step("observe: web-1 mounts the same data-web-1, web-0 a new data-web-0"):
        _, pods = wait_for(web.ready(2, timeout=120))
        now = wait_for(web.claims_bound("data", 2))
        assert mounted_claim(pods[1]) == CLAIMS[1], f"web-1 mounts {mounted_claim(pods[1])}"
        assert now[CLAIMS[1]].metadata.uid == spared.metadata.uid, (
            f"{CLAIMS[1]} is now uid {now[CLAIMS[1]].metadata.uid}, not the spared {spared.metadata.uid}"
        )
        assert now[CLAIMS[0]].metadata.uid != bound[CLAIMS[0]].metadata.uid, "data-web-0 was never deleted"

    with step("act: scale to 1"):
        web.scale(1)

    with step("observe: data-web-1 deleted this time, data-web-0 stays"):
        wait_for(web.ready(1, timeout=120))
        wait_for(web.claims_gone([CLAIMS[1]]).described("the released data-web-1 deleted on scale-down"))
        left = web.claims()
        assert CLAIMS[0] in left and left[CLAIMS[0]].metadata.uid == now[CLAIMS[0]].metadata.uid, (
            f"data-web-0 was deleted or replaced; claims now: {sorted(left)}"
        )
