"""A RollingUpdate partition holds the ordinals below it at the current revision: only ordinals at or
above the partition move to the update revision, also when a held pod is recreated, and lowering the
partition extends the rollout one step at a time."""

from __future__ import annotations

from collections.abc import Callable

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.waits import NotYet, WaitTimeout, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.observation.event_recorder import PodRecord
from fixtures.resources.daemonsets import APP_LABEL
from fixtures.resources.statefulsets import (
    pods_by_ordinal,
    revision_of,
    rolling_update,
    set_partition,
    statefulset_manifest,
    update_template,
    wait_for_replacement,
    wait_for_statefulset_ready,
)

pytestmark = pytest.mark.statefulset

QUIET_WINDOW = 10  # seconds in which no held pod may be replaced


def _revisions_are(
    wc_cluster: ClusterUnderTest, namespace: str, expected: dict[int, str]
) -> Callable[[], tuple[client.V1StatefulSet, dict[int, client.V1Pod]]]:
    """A probe: the StatefulSet and its pods once every ordinal runs Ready at its expected revision."""
    core, apps = wc_cluster.core, wc_cluster.apps

    def probe() -> tuple[client.V1StatefulSet, dict[int, client.V1Pod]]:
        sts = apps.read_namespaced_stateful_set("web", namespace)
        if (sts.status.observed_generation or 0) < sts.metadata.generation:
            raise NotYet(
                f"status.observedGeneration {sts.status.observed_generation} < {sts.metadata.generation}"
            )
        pods = pods_by_ordinal(core, namespace, "web")
        gaps = []
        for ordinal, revision in sorted(expected.items()):
            pod = pods.get(ordinal)
            if pod is None:
                gaps.append(f"web-{ordinal}: missing")
            elif revision_of(pod) != revision:
                gaps.append(f"web-{ordinal}: revision {revision_of(pod)} != {revision}")
            elif not any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []):
                gaps.append(f"web-{ordinal}: not Ready")
        updated = sum(1 for r in expected.values() if r == sts.status.update_revision)
        if not gaps and (sts.status.updated_replicas or 0) != updated:
            gaps.append(f"status.updatedReplicas {sts.status.updated_replicas} != {updated}")
        if gaps:
            raise NotYet("; ".join(gaps))
        return sts, pods

    return probe


def test_partition_updates_only_ordinals_at_or_above_it(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """With partition=2, a template change MUST move web-2 to the update revision and MUST NOT touch web-0
    and web-1 (same UIDs, current revision); a deleted web-0 MUST come back at the current revision.
    Lowering the partition to 1 MUST then update web-1 only, and to 0 also web-0, after which
    currentRevision MUST equal updateRevision.

    Fails on: a cluster that ignores or resets the partition (the held pod that was replaced is named),
    or that recreates a held pod from the update revision (its revision label is named)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a StatefulSet web of 3 with partition=2, Ready, pod events recorded"):
        manifest = statefulset_manifest("web", wc_cluster.toolbox_image, update_strategy=rolling_update(2))
        apps.create_namespaced_stateful_set(namespace, manifest)
        sts, before = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        current = sts.status.current_revision
        uids = {o: p.metadata.uid for o, p in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")

    with allure.step("act: change the pod template"):
        update = update_template(apps, namespace, "web", "2")

    subject = f"apps/v1 StatefulSet {namespace}/web"
    with allure.step(f"observe: only web-2 moves to {update}; web-0 and web-1 stay for {QUIET_WINDOW} s"):
        sts, pods = wait_for(
            _revisions_are(wc_cluster, namespace, {0: current, 1: current, 2: update}),
            "web-2 at the update revision, web-0 and web-1 at the current one",
            timeout=120,
            subject=subject,
            diagnose=lambda: recent_events(core, namespace),
        )

        def held_pod_touched(records: list[PodRecord]) -> str | None:
            touched = [
                r
                for r in records
                if r.uid in (uids[0], uids[1]) and (r.deletion_timestamp or r.kind == "DELETED")
            ]
            return touched[0].line(records[0].monotonic) if touched else None

        with pytest.raises(WaitTimeout):
            seen = recorder.wait_until(held_pod_touched, "web-0 or web-1 deleted", timeout=QUIET_WINDOW)
            pytest.fail(f"a pod below the partition was replaced: {seen}\n{recorder.timeline()}")
        assert sts.status.current_revision == current, (
            f"status.currentRevision moved to {sts.status.current_revision}"
        )
        assert (pods[0].metadata.uid, pods[1].metadata.uid) == (uids[0], uids[1])

    with allure.step("act: delete web-0"):
        core.delete_namespaced_pod("web-0", namespace)

    with allure.step(f"observe: web-0 comes back at the current revision {current}"):
        web0 = wait_for_replacement(core, namespace, "web-0", uids[0])
        assert revision_of(web0) == current, f"the recreated web-0 is at {revision_of(web0)}, not {current}"

    with allure.step("act: lower the partition to 1"):
        set_partition(apps, namespace, "web", 1)

    with allure.step("observe: web-1 moves to the update revision, web-0 stays"):
        _, pods = wait_for(
            _revisions_are(wc_cluster, namespace, {0: current, 1: update, 2: update}),
            "web-1 and web-2 at the update revision, web-0 at the current one",
            timeout=120,
            subject=subject,
            diagnose=lambda: recent_events(core, namespace),
        )
        assert pods[0].metadata.uid == web0.metadata.uid, "web-0 was replaced above the partition's reach"

    with allure.step("act: lower the partition to 0"):
        set_partition(apps, namespace, "web", 0)

    with allure.step("observe: every pod at the update revision, currentRevision == updateRevision"):
        sts, _ = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3, timeout=120)
        assert sts.status.current_revision == sts.status.update_revision == update
