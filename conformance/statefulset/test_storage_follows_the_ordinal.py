"""Each ordinal of a StatefulSet keeps its own PersistentVolumeClaim, made from the volume claim
template: a replaced pod, a pod scaled away and back, and a pod of a deleted set all find their claim
and its data again, because claims outlive pods unless a retention policy says otherwise."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.events import recent_events
from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pods import exec_in_pod
from fixtures.resources.statefulsets import (
    DATA_DIR,
    claim_name,
    claims,
    claims_bound,
    owner_kinds,
    scale,
    statefulset_gone,
    statefulset_manifest,
    wait_for_replacement,
    wait_for_statefulset_ready,
)

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(3)]


def _read(wc_cluster: ClusterUnderTest, namespace: str, pod: str) -> str:
    result = exec_in_pod(wc_cluster.core, namespace, pod, ["cat", f"{DATA_DIR}/owner"])
    assert result.ok, f"{pod}: cat {DATA_DIR}/owner exited {result.returncode}: {result.output}"
    return result.output.strip()


def _claim_of(pod) -> str | None:  # noqa: ANN001 - a V1Pod
    return next(
        (v.persistent_volume_claim.claim_name for v in pod.spec.volumes or [] if v.persistent_volume_claim),
        None,
    )


def test_each_ordinal_keeps_its_claim_and_data_across_replacement_scaling_and_deletion(
    wc_cluster: ClusterUnderTest, namespace: str, storage_class_name: str | None
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
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a StatefulSet web of 3 with a claim template data; each pod writes its name"):
        manifest = statefulset_manifest(
            "web",
            wc_cluster.toolbox_image,
            pod_management_policy="Parallel",
            volume_claim="data",
            storage_class=storage_class_name,
        )
        apps.create_namespaced_stateful_set(namespace, manifest)
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=240)
        bound = wait_for(
            Probe(
                claims_bound(core, namespace, CLAIMS),
                "data-web-0..2 Bound",
                timeout=60,
                subject=f"PVCs of StatefulSet {namespace}/web",
            )
        )
        for ordinal, pod in sorted(pods.items()):
            assert _claim_of(pod) == CLAIMS[ordinal], f"{pod.metadata.name} mounts {_claim_of(pod)}"
        volumes = {name: claim.spec.volume_name for name, claim in bound.items()}
        assert len(set(volumes.values())) == 3, f"claims share a PV: {volumes}"
        uids = {name: claim.metadata.uid for name, claim in bound.items()}
        for ordinal in range(3):
            name = f"web-{ordinal}"
            result = exec_in_pod(core, namespace, name, ["sh", "-c", f"echo {name} > {DATA_DIR}/owner"])
            assert result.ok, f"writing in {name}: {result.output}"

    with allure.step("act: delete web-1"):
        old_uid = pods[1].metadata.uid
        core.delete_namespaced_pod("web-1", namespace)

    with allure.step("observe: a new web-1 mounts data-web-1 (same UID, same PV) and reads its file"):
        new = wait_for_replacement(core, namespace, "web-1", old_uid)
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=60)
        assert _claim_of(new) == "data-web-1", f"the new web-1 mounts {_claim_of(new)}"
        claim = claims(core, namespace)["data-web-1"]
        assert (claim.metadata.uid, claim.spec.volume_name) == (uids["data-web-1"], volumes["data-web-1"]), (
            f"data-web-1 is now uid {claim.metadata.uid} on {claim.spec.volume_name}"
        )
        assert _read(wc_cluster, namespace, "web-1") == "web-1"

    with allure.step("act: scale to 1"):
        scale(apps, namespace, "web", 1)

    with allure.step("observe: web-1 and web-2 are gone, their claims stay"):
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=1, timeout=120)
        left = claims(core, namespace)
        for name in CLAIMS:
            assert name in left, f"{name} was deleted on scale-down; left: {sorted(left)}"
            assert left[name].metadata.uid == uids[name], f"{name} has a new uid {left[name].metadata.uid}"

    with allure.step("act: scale back to 3"):
        scale(apps, namespace, "web", 3)

    with allure.step("observe: web-1 and web-2 remount their old claims and read their files"):
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=180)
        now = claims(core, namespace)
        for ordinal in (1, 2):
            name = CLAIMS[ordinal]
            assert now[name].metadata.uid == uids[name], f"{name} was replaced: uid {now[name].metadata.uid}"
            assert _claim_of(pods[ordinal]) == name
            assert _read(wc_cluster, namespace, f"web-{ordinal}") == f"web-{ordinal}"

    with allure.step("act: delete the StatefulSet"):
        apps.delete_namespaced_stateful_set("web", namespace)

    with allure.step("observe: the set and its pods are gone, every claim stays without an owner"):
        wait_for(
            Probe(
                statefulset_gone(apps, core, namespace, "web"),
                "StatefulSet web and its pods gone",
                timeout=120,
                subject=f"apps/v1 StatefulSet {namespace}/web",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
        left = claims(core, namespace)
        for name in CLAIMS:
            assert name in left and left[name].metadata.deletion_timestamp is None, (
                f"{name} deleted with the StatefulSet; left: {sorted(left)}"
            )
            assert left[name].metadata.uid == uids[name]
            assert not owner_kinds(left[name]), f"{name} is owned by {owner_kinds(left[name])}"
