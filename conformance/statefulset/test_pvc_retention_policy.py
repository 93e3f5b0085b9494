"""persistentVolumeClaimRetentionPolicy decides which claims of a StatefulSet go with it: whenDeleted
for deleting the set, whenScaled for the ordinals a scale-down removes."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.events import recent_events
from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.statefulsets import (
    claim_name,
    claims,
    claims_bound,
    claims_gone,
    owner_kinds,
    retention,
    scale,
    statefulset_gone,
    statefulset_manifest,
    wait_for_statefulset_ready,
)

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIMS = [claim_name("data", "web", o) for o in range(3)]


def _create_bound(
    wc_cluster: ClusterUnderTest,
    namespace: str,
    storage_class: str | None,
    when_deleted: str,
    when_scaled: str,
) -> dict:
    core, apps = wc_cluster.core, wc_cluster.apps
    manifest = statefulset_manifest(
        "web",
        wc_cluster.toolbox_image,
        pod_management_policy="Parallel",
        volume_claim="data",
        storage_class=storage_class,
        retention_policy=retention(when_deleted=when_deleted, when_scaled=when_scaled),
    )
    apps.create_namespaced_stateful_set(namespace, manifest)
    wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=240)
    bound = wait_for(
        Probe(
            claims_bound(core, namespace, CLAIMS),
            "data-web-0..2 Bound",
            timeout=60,
            subject=f"PVCs of StatefulSet {namespace}/web",
        )
    )
    return {name: claim.metadata.uid for name, claim in bound.items()}


def _delete_set(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    core, apps = wc_cluster.core, wc_cluster.apps
    apps.delete_namespaced_stateful_set("web", namespace)
    wait_for(
        Probe(
            statefulset_gone(apps, core, namespace, "web"),
            "StatefulSet web and its pods gone",
            timeout=120,
            subject=f"apps/v1 StatefulSet {namespace}/web",
            diagnose=lambda: recent_events(core, namespace),
        )
    )


def test_delete_policies_remove_the_scaled_away_claims_then_the_rest_with_the_set(
    wc_cluster: ClusterUnderTest, namespace: str, storage_class_name: str | None
) -> None:
    """With whenScaled: Delete, scaling 3 -> 1 MUST delete data-web-1 and data-web-2 and keep data-web-0
    (same UID); with whenDeleted: Delete, deleting the set MUST then delete data-web-0.

    Fails on: a cluster that ignores the retention policy (the claims that stay are named, with their
    phase) or deletes the claim of an ordinal that remains (its absence is named)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a StatefulSet web of 3 with whenDeleted: Delete, whenScaled: Delete"):
        uids = _create_bound(wc_cluster, namespace, storage_class_name, "Delete", "Delete")

    with allure.step("act: scale to 1"):
        scale(apps, namespace, "web", 1)

    with allure.step("observe: data-web-1 and data-web-2 are deleted, data-web-0 stays"):
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=1, timeout=120)
        wait_for(
            Probe(
                claims_gone(core, namespace, CLAIMS[1:]),
                "the claims of the removed ordinals deleted",
                timeout=120,
                subject=f"PVCs of StatefulSet {namespace}/web",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
        left = claims(core, namespace)
        assert CLAIMS[0] in left and left[CLAIMS[0]].metadata.uid == uids[CLAIMS[0]], (
            f"data-web-0 was deleted or replaced on scale-down; claims now: {sorted(left)}"
        )
        assert left[CLAIMS[0]].metadata.deletion_timestamp is None, "data-web-0 is being deleted"

    with allure.step("act: delete the StatefulSet"):
        _delete_set(wc_cluster, namespace)

    with allure.step("observe: data-web-0 is deleted with it"):
        wait_for(
            Probe(
                claims_gone(core, namespace, CLAIMS[:1]),
                "data-web-0 deleted with the StatefulSet",
                timeout=120,
                subject=f"PVCs of StatefulSet {namespace}/web",
                diagnose=lambda: recent_events(core, namespace),
            )
        )


def test_retain_policies_keep_every_claim(
    wc_cluster: ClusterUnderTest, namespace: str, storage_class_name: str | None
) -> None:
    """With whenScaled: Retain and whenDeleted: Retain, scaling 3 -> 1 and then deleting the set MUST keep
    data-web-0..2, each with its UID and not being deleted.

    Fails on: a statefulset controller that deletes claims on scale-down or with the set despite Retain
    (the missing or terminating claim is named)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a StatefulSet web of 3 with whenDeleted: Retain, whenScaled: Retain"):
        uids = _create_bound(wc_cluster, namespace, storage_class_name, "Retain", "Retain")

    with allure.step("act: scale to 1, then delete the StatefulSet"):
        scale(apps, namespace, "web", 1)
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=1, timeout=120)
        _delete_set(wc_cluster, namespace)

    with allure.step("observe: every claim stays, same UID, not terminating"):
        left = claims(core, namespace)
        for name in CLAIMS:
            assert name in left, f"{name} was deleted; claims now: {sorted(left)}"
            assert left[name].metadata.uid == uids[name], f"{name} was replaced"
            assert left[name].metadata.deletion_timestamp is None, f"{name} is being deleted"
            assert not owner_kinds(left[name]), f"{name} is owned by {owner_kinds(left[name])}"
