"""Deleting a DaemonSet removes its pods."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.events import recent_events
from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import daemonset_manifest, wait_for_daemonset_coverage

pytestmark = pytest.mark.daemonset


def test_deleting_the_daemonset_removes_its_pods(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    """After the DaemonSet is deleted, every pod it owned (by UID) MUST be deleted.

    Fails on: a cluster whose garbage collector does not run (the pods stay, listed in the message)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: a DaemonSet covering its nodes"):
        apps.create_namespaced_daemon_set(namespace, daemonset_manifest("agent", wc_cluster.toolbox_image))
        _, _, by_node = wait_for_daemonset_coverage(apps, core, namespace, "agent")
        owned = {p.metadata.uid: p.metadata.name for pods in by_node.values() for p in pods}

    with allure.step("act: delete the DaemonSet"):
        apps.delete_namespaced_daemon_set("agent", namespace)

    with allure.step(f"observe: all {len(owned)} pods it owned are gone"):

        def gone() -> bool:
            pods = core.list_namespaced_pod(namespace, label_selector=f"{APP_LABEL}=agent").items
            left = sorted(owned[p.metadata.uid] for p in pods if p.metadata.uid in owned)
            if left:
                raise NotYet(f"{len(left)} pods remain: {', '.join(left)}")
            return True

        wait_for(
            Probe(
                gone,
                f"the {len(owned)} pods of the deleted DaemonSet to be gone",
                timeout=120,
                subject=f"apps/v1 DaemonSet {namespace}/agent (deleted)",
                diagnose=lambda: recent_events(core, namespace),
            )
        )
