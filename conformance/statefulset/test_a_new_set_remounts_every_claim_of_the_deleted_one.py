"""Claims outlive their StatefulSet (the default retention is Retain): a set made again under the same name
gives its pod, scheduled anew, every claim the deleted set's pod had, with the data on each."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.claims import mounted_claims
from fixtures.resources.statefulset_manifests import (
    DATA_DIR,
    claim_name,
    statefulset_manifest,
    with_claim_templates,
)

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

#: One claim template per volume of the pod, as upstream's four volumes.
TEMPLATES = [f"vol{index}" for index in range(4)]
CLAIMS = {template: claim_name(template, "web", 0) for template in TEMPLATES}


def _file(template: str) -> str:
    return f"{DATA_DIR}/{template}/written-by"


@pytest.mark.upstream(
    "persistent_volumes.go: should be reschedulable",
    parity="stricter",
    note="each of the four claims is the same object (UID) bound to the same PV after the set is made again, "
    "mounted by a new pod (another UID), and each volume holds the line written to it, not only a file",
)
def test_a_new_set_mounts_every_claim_and_its_data_of_the_deleted_set(
    wc_cluster, make_statefulset, storage_class_name, step
) -> None:
    """With a StatefulSet web of 1 whose pod mounts four claims vol0-web-0..vol3-web-0, each holding a line
    naming its volume and the pod's UID, scaling to 0 and deleting the set MUST keep the four claims (same
    UIDs, Bound to the same PVs), and a new StatefulSet web with the same templates MUST run a new web-0
    (another UID), Ready, mounting those four claims and reading each line from its own volume.

    Fails on: a cluster that deletes claims with the set under the default policy, that gives the new pod
    new claims (the claim whose UID or PV changed is named), or storage that loses or mixes up data across
    pods (the volume and what was read are named)."""
    manifest = with_claim_templates(
        statefulset_manifest("web", wc_cluster.toolbox_image, replicas=1),
        TEMPLATES,
        storage_class=storage_class_name,
    )
    with step("arrange: StatefulSet web of 1 with four claim templates; web-0 writes to each volume"):
        web = make_statefulset("web", manifest=manifest)
        _, pods = wait_for(web.ready(1, timeout=240))
        first = pods[0]
        bound = {t: wait_for(web.claims_bound(t, 1))[CLAIMS[t]] for t in TEMPLATES}
        assert set(mounted_claims(first).values()) == set(CLAIMS.values()), (
            f"web-0 mounts {mounted_claims(first)}"
        )
        lines = {t: f"{t} of web-0 uid {first.metadata.uid}" for t in TEMPLATES}
        script = " && ".join(f"echo '{lines[t]}' > {_file(t)}" for t in TEMPLATES)
        result = web.pod(0).exec(["sh", "-c", script])
        assert result.ok, f"writing to the four volumes of web-0: {result.output}"

    with step("act: scale web to 0 and delete it"):
        web.scale(0)
        wait_for(web.ready(0, timeout=120))
        web.delete()
        wait_for(web.gone())

    with step("observe: the four claims stay, same UIDs, same PVs"):
        left = web.claims()
        for template, claim in bound.items():
            name = CLAIMS[template]
            assert name in left, f"{name} was deleted with the set; claims now: {sorted(left)}"
            kept = left[name]
            assert (kept.metadata.uid, kept.spec.volume_name) == (
                claim.metadata.uid,
                claim.spec.volume_name,
            ), f"{name} is now uid {kept.metadata.uid} on {kept.spec.volume_name}"
            assert kept.metadata.deletion_timestamp is None, f"{name} is being deleted"

    with step("act: make StatefulSet web again, with the same templates"):
        again = make_statefulset("web", manifest=manifest)

    with step("observe: a new web-0 mounts the four claims and reads each volume's line"):
        _, pods = wait_for(again.ready(1, timeout=180))
        second = pods[0]
        assert second.metadata.uid != first.metadata.uid, "web-0 is the pod of the deleted set"
        assert set(mounted_claims(second).values()) == set(CLAIMS.values()), (
            f"the new web-0 mounts {mounted_claims(second)}"
        )
        now = again.claims()
        for template, claim in bound.items():
            name = CLAIMS[template]
            assert now[name].metadata.uid == claim.metadata.uid, (
                f"{name} was replaced: uid {now[name].metadata.uid}"
            )
            result = again.pod(0).exec(["cat", _file(template)])
            assert result.ok, (
                f"the new web-0: cat {_file(template)} exited {result.returncode}: {result.output}"
            )
            assert result.output.strip() == lines[template], (
                f"the new web-0 read {result.output.strip()!r} from {name}; "
                f"the old web-0 wrote {lines[template]!r}"
            )
