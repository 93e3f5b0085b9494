"""A DaemonSet that does not tolerate a node's NoSchedule taint runs no pod on that node."""

from __future__ import annotations

import allure
import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import (
    daemonset_manifest,
    describe_pods,
    node_key,
    untainted_workers,
    wait_for_daemonset_coverage,
)
from fixtures.resources.eligibility import expected_node_names
from fixtures.resources.node_changes import NodeChanges

pytestmark = pytest.mark.daemonset


def test_untolerated_noschedule_taint_keeps_the_daemonset_off_the_node(
    wc_cluster: ClusterUnderTest, namespace: str, node_changes: NodeChanges
) -> None:
    """A DaemonSet created while a node carries a NoSchedule taint it does not tolerate MUST NOT run a pod
    on that node, and its desiredNumberScheduled MUST be one less than the number of nodes it covers
    without the taint; every other node it covers MUST run its pod.

    Fails on: a scheduler or daemonset controller that ignores taints: a pod lands on the tainted node
    (node and pod named in the message), or desiredNumberScheduled still counts the node."""
    core, apps = wc_cluster.core, wc_cluster.apps
    workers = untainted_workers(core)
    if not workers:
        pytest.skip("needs a schedulable untainted worker")
    node = workers[0]
    key, value = node_key(namespace, "keep-off"), "off"
    taint = f"{key}={value}:NoSchedule"
    manifest = daemonset_manifest("agent", wc_cluster.toolbox_image)

    with allure.step(f"arrange: taint {node} with {taint}"):
        untainted = expected_node_names(core.list_node().items, manifest.spec.template.spec)
        assert node in untainted, f"{node} is not covered even without the taint: {sorted(untainted)}"
        node_changes.taint(node, key, value, "NoSchedule")

    with allure.step("act: create a DaemonSet without tolerations"):
        apps.create_namespaced_daemon_set(namespace, manifest)

    with allure.step(f"observe: pods on every covered node but {node}, desiredNumberScheduled one less"):
        ds, expected, by_node = wait_for_daemonset_coverage(apps, core, namespace, "agent", timeout=120)
        assert node not in by_node, (
            f"{describe_pods({node: by_node[node]})} runs on {node}, "
            f"which carries {taint} it does not tolerate"
        )
        assert expected == untainted - {node}, (
            f"covered without the taint: {sorted(untainted)}; with {taint} on {node}: {sorted(expected)}"
        )
        assert ds.status.desired_number_scheduled == len(untainted) - 1, (
            f"apps/v1 DaemonSet {namespace}/agent: status.desiredNumberScheduled "
            f"{ds.status.desired_number_scheduled} != {len(untainted) - 1} ({len(untainted)} nodes covered "
            f"without the taint, less {node})"
        )
