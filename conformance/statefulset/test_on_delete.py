"""A StatefulSet with the OnDelete strategy replaces no pod after a template change; a pod deleted by
hand comes back under its name from the new template, and the others stay as they were."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import WaitTimeout
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.observation.event_recorder import PodRecord
from fixtures.resources.statefulsets import (
    on_delete,
    pods_by_ordinal,
    revision_of,
    statefulset_manifest,
    update_template,
    wait_for_replacement,
    wait_for_statefulset_ready,
)

pytestmark = pytest.mark.statefulset

QUIET_WINDOW = 15  # seconds in which nothing may be replaced


def test_on_delete_replaces_only_the_deleted_pod(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """After a template change, no pod may be deleted or created for a while; once web-1 is deleted, a
    new web-1 MUST come up at the update revision while web-0 and web-2 stay the same pods (same UIDs) at
    the current revision.

    Fails on: a statefulset controller that treats OnDelete like RollingUpdate (the replaced pod is named
    with its event), or recreates a deleted pod from the old template (its revision is named)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: an OnDelete StatefulSet web of 3 Ready, its pod events recorded"):
        manifest = statefulset_manifest("web", wc_cluster.toolbox_image, update_strategy=on_delete())
        apps.create_namespaced_stateful_set(namespace, manifest)
        sts, before = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        current = sts.status.current_revision
        uids = {o: p.metadata.uid for o, p in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")

    with allure.step("act: change the pod template"):
        update = update_template(apps, namespace, "web", "2")

    with allure.step(f"observe: nothing is replaced within {QUIET_WINDOW} s"):

        def replacement_seen(records: list[PodRecord]) -> str | None:
            changed = [r for r in records if r.kind in ("ADDED", "DELETED") or r.deletion_timestamp]
            return changed[0].line(records[0].monotonic) if changed else None

        with pytest.raises(WaitTimeout):
            seen = recorder.wait_until(replacement_seen, "any pod deleted or created", timeout=QUIET_WINDOW)
            pytest.fail(f"OnDelete replaced a pod without being asked: {seen}\n{recorder.timeline()}")

    with allure.step("act: delete web-1"):
        core.delete_namespaced_pod("web-1", namespace)

    with allure.step(f"observe: web-1 comes back at {update}; web-0 and web-2 untouched at {current}"):
        new = wait_for_replacement(core, namespace, "web-1", uids[1])
        assert revision_of(new) == update, f"the new web-1 is at {revision_of(new)}, not {update}"
        pods = pods_by_ordinal(core, namespace, "web")
        for ordinal in (0, 2):
            pod = pods[ordinal]
            assert pod.metadata.uid == uids[ordinal], f"web-{ordinal} was replaced without being deleted"
            assert revision_of(pod) == current, f"web-{ordinal} moved to {revision_of(pod)}"
