"""persistentVolumeClaimRetentionPolicy decides which claims of a StatefulSet go with it: whenDeleted
for deleting the set, whenScaled for the ordinals a scale-down removes. The controller says so with owner
references: a claim the set's deletion must take is controlled by the set, and the garbage collector does
the rest."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.claims import owned_by, owners_are
from fixtures.resources.statefulset_manifests import claim_name, retention

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(3)]
DELETE, RETAIN = "Delete", "Retain"


@pytest.mark.parametrize(
    ("when_deleted", "when_scaled"),
    [
        pytest.param(
            DELETE,
            RETAIN,
            id="whenDeleted=Delete,whenScaled=Retain",
            marks=pytest.mark.upstream(
                "statefulset.go: should delete PVCs with a WhenDeleted policy",
                parity="stricter",
                note="each claim controlled by the set, judged by the set's UID, with no pod reference; the "
                "claims of a scale-down kept (same UIDs) and deleted with the set all the same",
            ),
        ),
        pytest.param(
            RETAIN,
            DELETE,
            id="whenDeleted=Retain,whenScaled=Delete",
            marks=pytest.mark.upstream(
                "statefulset.go: should delete PVCs with a OnScaledown policy",
                parity="stricter",
                note="the claim of the remaining ordinal is the same object (UID), not being deleted, without"
                " owner; it also outlives the set",
            ),
        ),
        pytest.param(DELETE, DELETE, id="whenDeleted=Delete,whenScaled=Delete"),
        pytest.param(RETAIN, RETAIN, id="whenDeleted=Retain,whenScaled=Retain"),
    ],
)
def test_claims_follow_the_retention_policy(
    make_statefulset_with_claims, step, when_deleted, when_scaled
) -> None:
    """With a StatefulSet web of 3 and the retention policy of the case:
    - each claim data-web-N MUST be controlled by web (its UID) exactly when whenDeleted is Delete, and have
      no other owner (no pod reference while its ordinal is in range);
    - scaling 3 -> 1 MUST delete data-web-1 and data-web-2 when whenScaled is Delete and keep them (same
      UIDs) when Retain; data-web-0 MUST stay the same claim, not being deleted;
    - deleting the set MUST then delete every claim left when whenDeleted is Delete, and keep each one
      (same UID, not being deleted, no owner left) when Retain.

    Fails on: a statefulset controller that ignores the policy, or a cluster whose admission strips or
    rewrites claim owner references (the claim and the owners it has are named), deletes a claim it must
    keep (its absence is named), or keeps one it must delete (the claims left are named, with their phase)."""
    with step(f"arrange: StatefulSet web of 3 with whenDeleted: {when_deleted}, whenScaled: {when_scaled}"):
        web, _, bound = make_statefulset_with_claims(
            "web", retention_policy=retention(when_deleted=when_deleted, when_scaled=when_scaled)
        )
        uids = {name: claim.metadata.uid for name, claim in bound.items()}
        owners = [owned_by(web.read())] if when_deleted == DELETE else []

    with step(f"observe: each claim's owners are {', '.join(map(str, owners)) or 'none'}"):
        wait_for(owners_are(web, dict.fromkeys(CLAIMS, owners)))

    with step("act: scale to 1"):
        web.scale(1)
        wait_for(web.ready(1, timeout=120))

    scaled_away = CLAIMS[1:] if when_scaled == DELETE else []
    with step(f"observe: {', '.join(scaled_away) or 'no claim'} deleted, the others the same claims"):
        if scaled_away:
            wait_for(web.claims_gone(scaled_away).described("the claims of the removed ordinals deleted"))
        left = web.claims()
        for name in CLAIMS:
            if name in scaled_away:
                continue
            assert name in left, f"{name} was deleted on scale-down; claims now: {sorted(left)}"
            assert left[name].metadata.uid == uids[name], (
                f"{name} was replaced: uid {left[name].metadata.uid}"
            )
            assert left[name].metadata.deletion_timestamp is None, f"{name} is being deleted"

    with step("act: delete the StatefulSet"):
        web.delete()
        wait_for(web.gone())

    remaining = [name for name in CLAIMS if name not in scaled_away]
    if when_deleted == DELETE:
        with step(f"observe: {', '.join(remaining)} deleted with the set"):
            wait_for(web.claims_gone(remaining).described("the claims left deleted with the StatefulSet"))
    else:
        with step(f"observe: {', '.join(remaining)} stay, same UIDs, not being deleted, without owner"):
            kept = wait_for(owners_are(web, dict.fromkeys(remaining, [])))
            for name in remaining:
                assert kept[name].metadata.uid == uids[name], f"{name} was replaced"
                assert kept[name].metadata.deletion_timestamp is None, f"{name} is being deleted"
