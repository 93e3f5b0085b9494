"""A DaemonSet rolling update replaces pods node by node within maxUnavailable, or side by side within
maxSurge, judged over the whole rollout from the API's event stream."""

from __future__ import annotations

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.observation.rollout import most_surplus, most_unavailable
from fixtures.resources.daemonsets import (
    all_pods_at_revision,
    daemonset_manifest,
    generation_observed,
    newest_revision_hash,
    patch_container,
    wait_for_daemonset_coverage,
)

pytestmark = pytest.mark.daemonset

NEW_TEMPLATE = {"name": "agent", "env": [{"name": "AGENT_REVISION", "value": "2"}]}


def rolling(max_unavailable: int | str, max_surge: int | str) -> client.V1DaemonSetUpdateStrategy:
    return client.V1DaemonSetUpdateStrategy(
        type="RollingUpdate",
        rolling_update=client.V1RollingUpdateDaemonSet(max_unavailable=max_unavailable, max_surge=max_surge),
    )


def _roll_out(wc_cluster: ClusterUnderTest, namespace: str, pod_events, strategy) -> tuple:
    """Create the DaemonSet, record its pods' events, change its template and wait until every pod is
    at the new revision. Returns (eligible nodes, records, pods before, pods after)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a DaemonSet covering its nodes, its pod events recorded"):
        apps.create_namespaced_daemon_set(
            namespace, daemonset_manifest("agent", wc_cluster.toolbox_image, update_strategy=strategy)
        )
        _, nodes, before = wait_for_daemonset_coverage(apps, core, namespace, "agent")
        old_uids = {p.metadata.uid for pods in before.values() for p in pods}
        recorder = pod_events(f"{APP_LABEL}=agent")
        recorder.wait_until(
            lambda records: old_uids <= {r.uid for r in records} or None, "the recorder to list every pod"
        )
    with allure.step("act: change the pod template"):
        old_revision = newest_revision_hash(apps, namespace, "agent")
        patch_container(apps, namespace, "agent", NEW_TEMPLATE)
        # the controller records the new ControllerRevision before it reports the generation observed
        wait_for(
            Probe(
                lambda: generation_observed(apps, namespace, "agent"),
                "the new generation observed",
                timeout=60,
            )
        )
        new_revision = newest_revision_hash(apps, namespace, "agent")
        assert new_revision != old_revision, "the template change made no new ControllerRevision"
    with allure.step(f"observe: every eligible node runs one Ready pod at revision {new_revision}"):
        after = wait_for(
            Probe(
                lambda: all_pods_at_revision(apps, core, namespace, "agent", new_revision),
                f"every pod replaced by one at revision {new_revision}",
                timeout=240,
                subject=f"apps/v1 DaemonSet {namespace}/agent",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
        new_uids = {p.metadata.uid for pods in after.values() for p in pods}
        kept = sorted(p.metadata.name for pods in before.values() for p in pods if p.metadata.uid in new_uids)
        assert not kept, f"pods not replaced by the rollout: {kept}"
    return nodes, recorder.records, before, after


def test_rolling_update_never_exceeds_max_unavailable(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """With maxUnavailable=1 and no surge, a template change MUST replace every pod while at no moment
    more than one eligible node is without an available pod.

    Fails on: a daemonset controller that deletes old pods on several nodes at once (the moment and the
    nodes are named), or that never replaces pods (the pods left behind are named)."""
    nodes, records, _, _ = _roll_out(wc_cluster, namespace, pod_events, rolling(1, 0))
    with allure.step("observe: at most one node without an available pod throughout the rollout"):
        worst = most_unavailable(records, nodes)
        since = records[0].monotonic
        assert worst.value <= 1, f"more than maxUnavailable=1 nodes unavailable: {worst.describe(since)}"
        assert most_surplus(records).value == 0, f"surplus pods without maxSurge: {most_surplus(records)}"


def test_rolling_update_with_max_surge_runs_old_and_new_side_by_side(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events
) -> None:
    """With maxSurge=1 and maxUnavailable=0, the new pod on a node MUST start before the old one goes,
    at no moment may more than one extra pod exist, and no node may be without an available pod.

    Fails on: a cluster that ignores maxSurge (old pods deleted first: a node without an available pod
    is named) or surges on several nodes at once (the crowded nodes are named)."""
    nodes, records, _, _ = _roll_out(wc_cluster, namespace, pod_events, rolling(0, 1))
    with allure.step("observe: old and new side by side, never more than one extra pod, none missing"):
        since = records[0].monotonic
        surplus = most_surplus(records)
        assert surplus.value == 1, (
            f"expected exactly one extra pod at the busiest moment: {surplus.describe(since)}"
        )
        worst = most_unavailable(records, nodes)
        assert worst.value == 0, f"a node went without an available pod: {worst.describe(since)}"
