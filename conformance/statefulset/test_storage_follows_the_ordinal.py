"""Each ordinal of a StatefulSet keeps its own PersistentVolumeClaim, made from the volume claim
template: a replaced pod, a pod scaled away and back, and a pod of a deleted set all find their claim
and its data again, because claims outlive pods unless a retention policy says otherwise."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.claims import mounted_claim, owner_kinds
from fixtures.resources.statefulset_manifests import DATA_DIR, claim_name
from fixtures.resources.statefulsets import StatefulSet

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(3)]
OWNER_FILE = f"{DATA_DIR}/owner"


def _read(web: StatefulSet, ordinal: int) -> str:
    """What the pod of ``ordinal`` reads from OWNER_FILE on its volume."""
    result = web.pod(ordinal).exec(["cat", OWNER_FILE])
    assert result.ok, f"web-{ordinal}: cat {OWNER_FILE} exited {result.returncode}: {result.output}"
    return result.output.strip()


def test_each_ordinal_keeps_its_claim_and_data_across_replacement_scaling_and_deletion(
    make_statefulset_with_claims, step
) -> None:
    """Ordinal N MUST get the PVC data-web-N, Bound to a PV of its own and mounted by web-N. A deleted
    web-1 MUST come back as web-1 (not web-3) mounting the same PVC (same UID, same PV) with the file
    written before. Scaling 3 -> 1 MUST keep data-web-1 and data-web-2, and scaling back to 3 MUST reuse
    them (same UIDs) with their data. Deleting the StatefulSet MUST keep every PVC (the default policy
    is Retain) and leave it without an owner reference.

    Fails on: a cluster without dynamic provisioning (the claims stay Pending: they are named), a
    statefulset controller that makes a new claim for a replaced pod or deletes claims on scale-down or
    set deletion (the claim whose UID changed or that vanished is named), or storage that loses the data
    (the pod and what it read are named)."""
    with step("arrange: a StatefulSet web of 3 with a claim template data; each pod writes its name"):
        web, pods, bound = make_statefulset_with_claims("web")
        for ordinal, pod in sorted(pods.items()):
            assert mounted_claim(pod) == CLAIMS[ordinal], f"{pod.metadata.name} mounts {mounted_claim(pod)}"
        volumes = {name: claim.spec.volume_name for name, claim in bound.items()}
        assert len(set(volumes.values())) == 3, f"claims share a PV: {volumes}"
        uids = {name: claim.metadata.uid for name, claim in bound.items()}
        for ordinal in range(3):
            name = web.pod_name(ordinal)
            result = web.pod(ordinal).exec(["sh", "-c", f"echo {name} > {OWNER_FILE}"])
            assert result.ok, f"writing in {name}: {result.output}"

    with step("act: delete web-1"):
        old_uid = pods[1].metadata.uid
        web.delete_pod(1)

    with step("observe: a new web-1 mounts data-web-1 (same UID, same PV) and reads its file"):
        new = wait_for(web.replaced("web-1", old_uid))
        wait_for(web.ready(3, timeout=60))
        assert mounted_claim(new) == "data-web-1", f"the new web-1 mounts {mounted_claim(new)}"
        claim = web.claims()["data-web-1"]
        assert (claim.metadata.uid, claim.spec.volume_name) == (uids["data-web-1"], volumes["data-web-1"]), (
            f"data-web-1 is now uid {claim.metadata.uid} on {claim.spec.volume_name}"
        )
        assert _read(web, 1) == "web-1"

    with step("act: scale to 1"):
        web.scale(1)

    with step("observe: web-1 and web-2 are gone, their claims stay"):
        wait_for(web.ready(1, timeout=120))
        left = web.claims()
        for name in CLAIMS:
            assert name in left, f"{name} was deleted on scale-down; left: {sorted(left)}"
            assert left[name].metadata.uid == uids[name], f"{name} has a new uid {left[name].metadata.uid}"

    with step("act: scale back to 3"):
        web.scale(3)

    with step("observe: web-1 and web-2 remount their old claims and read their files"):
        _, pods = wait_for(web.ready(3, timeout=180))
        now = web.claims()
        for ordinal in (1, 2):
            name = CLAIMS[ordinal]
            assert now[name].metadata.uid == uids[name], f"{name} was replaced: uid {now[name].metadata.uid}"
            assert mounted_claim(pods[ordinal]) == name
            assert _read(web, ordinal) == f"web-{ordinal}"

    with step("act: delete the StatefulSet"):
        web.delete()

    with step("observe: the set and its pods are gone, every claim stays without an owner"):
        wait_for(web.gone())
        left = web.claims()
        for name in CLAIMS:
            assert name in left and left[name].metadata.deletion_timestamp is None, (
                f"{name} deleted with the StatefulSet; left: {sorted(left)}"
            )
            assert left[name].metadata.uid == uids[name]
            assert not owner_kinds(left[name]), f"{name} is owned by {owner_kinds(left[name])}"
