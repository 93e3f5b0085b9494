"""Rolling a StatefulSet back to its previous revision restores that revision for every pod."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.statefulsets import (
    new_update_revision,
    statefulset_manifest,
    update_template,
    wait_for_statefulset_ready,
)

pytestmark = pytest.mark.statefulset


def test_rollback_restores_the_previous_revision(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    """After an update to revision B, applying revision A's recorded template (what `kubectl rollout undo`
    does) MUST make A the update revision again (the same ControllerRevision, not a copy) and MUST bring
    every pod back to A, ending with currentRevision == updateRevision == A.

    Fails on: a cluster whose statefulset controller mints a new revision for an old template (the two
    names are shown) or leaves pods on B (named with their revision)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: web of 3 Ready at revision A, then updated to revision B"):
        apps.create_namespaced_stateful_set(namespace, statefulset_manifest("web", wc_cluster.toolbox_image))
        sts, _ = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        revision_a = sts.status.current_revision
        update_template(apps, namespace, "web", "B")
        sts, _ = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=240)
        revision_b = sts.status.current_revision
        assert revision_b != revision_a

    with allure.step(f"act: roll back to {revision_a} by applying its recorded template"):
        recorded = apps.read_namespaced_controller_revision(revision_a, namespace)
        apps.patch_namespaced_stateful_set("web", namespace, recorded.data)

    with allure.step(f"observe: every pod back on {revision_a}, which is the update revision again"):
        wait_for(
            Probe(
                new_update_revision(apps, namespace, "web", revision_b),
                "an update revision after B",
                timeout=60,
            )
        )
        sts, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=240)
        assert sts.status.update_revision == revision_a, (
            f"rollback made revision {sts.status.update_revision}, not the recorded {revision_a}"
        )
        assert sts.status.current_revision == revision_a
