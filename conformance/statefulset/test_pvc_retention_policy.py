"""persistentVolumeClaimRetentionPolicy decides which claims of a StatefulSet go with it: whenDeleted
for deleting the set, whenScaled for the ordinals a scale-down removes."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.claims import owner_kinds
from fixtures.resources.statefulset_manifests import claim_name, retention

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(3)]


@pytest.mark.upstream(
    "statefulset.go: should delete PVCs with a OnScaledown policy",
    parity="stricter",
    note="the claim of the remaining ordinal is the same object (UID), not being deleted",
)
def test_delete_policies_remove_the_scaled_away_claims_then_the_rest_with_the_set(
    make_statefulset_with_claims, step
) -> None:
    """With whenScaled: Delete, scaling 3 -> 1 MUST delete data-web-1 and data-web-2 and keep data-web-0
    (same UID); with whenDeleted: Delete, deleting the set MUST then delete data-web-0.

    Fails on: a cluster that ignores the retention policy (the claims that stay are named, with their
    phase) or deletes the claim of an ordinal that remains (its absence is named)."""
    with step("arrange: a StatefulSet web of 3 with whenDeleted: Delete, whenScaled: Delete"):
        web, _, bound = make_statefulset_with_claims(
            "web", retention_policy=retention(when_deleted="Delete", when_scaled="Delete")
        )

    with step("act: scale to 1"):
        web.scale(1)

    with step("observe: data-web-1 and data-web-2 are deleted, data-web-0 stays"):
        wait_for(web.ready(1, timeout=120))
        wait_for(web.claims_gone(CLAIMS[1:]).described("the claims of the removed ordinals deleted"))
        left = web.claims()
        assert CLAIMS[0] in left and left[CLAIMS[0]].metadata.uid == bound[CLAIMS[0]].metadata.uid, (
            f"data-web-0 was deleted or replaced on scale-down; claims now: {sorted(left)}"
        )
        assert left[CLAIMS[0]].metadata.deletion_timestamp is None, "data-web-0 is being deleted"

    with step("act: delete the StatefulSet"):
        web.delete()
        wait_for(web.gone())

    with step("observe: data-web-0 is deleted with it"):
        wait_for(web.claims_gone(CLAIMS[:1]).described("data-web-0 deleted with the StatefulSet"))


def test_retain_policies_keep_every_claim(make_statefulset_with_claims, step) -> None:
    """With whenScaled: Retain and whenDeleted: Retain, scaling 3 -> 1 and then deleting the set MUST keep
    data-web-0..2, each with its UID and not being deleted.

    Fails on: a statefulset controller that deletes claims on scale-down or with the set despite Retain
    (the missing or terminating claim is named)."""
    with step("arrange: a StatefulSet web of 3 with whenDeleted: Retain, whenScaled: Retain"):
        web, _, bound = make_statefulset_with_claims(
            "web", retention_policy=retention(when_deleted="Retain", when_scaled="Retain")
        )

    with step("act: scale to 1, then delete the StatefulSet"):
        web.scale(1)
        wait_for(web.ready(1, timeout=120))
        web.delete()
        wait_for(web.gone())

    with step("observe: every claim stays, same UID, not terminating"):
        left = web.claims()
        for name in CLAIMS:
            assert name in left, f"{name} was deleted; claims now: {sorted(left)}"
            assert left[name].metadata.uid == bound[name].metadata.uid, f"{name} was replaced"
            assert left[name].metadata.deletion_timestamp is None, f"{name} is being deleted"
            assert not owner_kinds(left[name]), f"{name} is owned by {owner_kinds(left[name])}"
