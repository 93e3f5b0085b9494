"""With OrderedReady pod management, a StatefulSet scales down from the highest ordinal, removing one pod
at a time, and scaling up again brings back the same names."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.labels import APP_LABEL
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.observation.event_recorder import PodRecord
from fixtures.resources.statefulsets import scale, statefulset_manifest, wait_for_statefulset_ready

pytestmark = pytest.mark.statefulset


def test_scale_down_removes_the_highest_ordinal_first_one_at_a_time(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """Scaling web from 3 to 1 MUST begin deleting web-2 first and MUST NOT begin deleting web-1 until
    web-2 is gone from the API; web-0 MUST stay the same pod (same UID). Scaling back to 3 MUST recreate
    the pods under the names web-1 and web-2.

    Fails on: a statefulset controller that deletes pods in parallel or lowest-first under OrderedReady
    (the deletion order and the timeline are named), or that gives new pods other names after a scale-down
    (the unexpected names are listed)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a StatefulSet web of 3 Ready, its pod events recorded"):
        apps.create_namespaced_stateful_set(namespace, statefulset_manifest("web", wc_cluster.toolbox_image))
        _, before = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        uids = {o: p.metadata.uid for o, p in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")

    with allure.step("act: scale to 1"):
        scale(apps, namespace, "web", 1)

    with allure.step("observe: web-2 deleted and gone before web-1's deletion starts; web-0 untouched"):
        _, after = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=1)
        assert after[0].metadata.uid == uids[0], f"web-0 was replaced: uid {after[0].metadata.uid}"
        recorder.wait_until(
            lambda records: recorder.deleted("web-1", uids[1]) and recorder.deleted("web-2", uids[2]),
            "DELETED events of web-1 and web-2",
            timeout=60,
        )
        records = recorder.records

        def at(record: PodRecord | None) -> int:
            assert record is not None, recorder.timeline()
            return records.index(record)

        assert recorder.order_of("TERMINATING") == ["web-2", "web-1"], recorder.timeline()
        assert at(recorder.deleted("web-2", uids[2])) < at(recorder.deletion_started("web-1", uids[1])), (
            f"web-1's deletion began before web-2 was gone:\n{recorder.timeline()}"
        )
        assert recorder.deletion_started("web-0") is None, f"web-0 was deleted:\n{recorder.timeline()}"

    with allure.step("act: scale back to 3"):
        scale(apps, namespace, "web", 3)

    with allure.step("observe: web-1 and web-2 come back under their names, as new pods"):
        _, again = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        assert sorted(p.metadata.name for p in again.values()) == ["web-0", "web-1", "web-2"]
        assert again[0].metadata.uid == uids[0]
        for ordinal in (1, 2):
            assert again[ordinal].metadata.uid != uids[ordinal], f"web-{ordinal} was never replaced"
        names = sorted({r.name for r in recorder.records})
        assert names == ["web-0", "web-1", "web-2"], f"pods under other names: {names}"
