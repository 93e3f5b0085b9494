"""A DaemonSet runs exactly one available pod on every eligible node and none elsewhere."""

from __future__ import annotations

import allure
import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import daemonset_manifest, wait_for_daemonset_coverage
from fixtures.resources.eligibility import eligible_nodes

pytestmark = pytest.mark.daemonset


def test_daemonset_covers_every_eligible_node(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    """Every node the DaemonSet controller must serve (taints, tolerations, selectors) MUST run exactly one
    Ready pod of it, no other node may run one, and status desired/current/ready/updated/available MUST
    equal the eligible count with nothing misscheduled, at the current observedGeneration.

    Fails on: a cluster whose kube-controller-manager runs without the daemonset controller (no pods, the
    message names every node lacking its pod), or where a node never becomes Ready for pods."""
    with allure.step("arrange: list the nodes and which of them the DaemonSet must cover"):
        nodes = wc_cluster.core.list_node().items
        manifest = daemonset_manifest("agent", wc_cluster.toolbox_image)
        verdicts = eligible_nodes(nodes, manifest.spec.template.spec)
        allure.attach("\n".join(str(v) for v in verdicts), "eligibility", allure.attachment_type.TEXT)
        assert any(v.eligible for v in verdicts), f"no node is eligible: {verdicts}"

    with allure.step("act: create the DaemonSet"):
        wc_cluster.apps.create_namespaced_daemon_set(namespace, manifest)

    with allure.step("observe: one Ready pod per eligible node, none elsewhere, status agrees"):
        ds, expected, by_node = wait_for_daemonset_coverage(
            wc_cluster.apps, wc_cluster.core, namespace, "agent"
        )
        assert expected == {v.node for v in verdicts if v.eligible}
        assert set(by_node) == expected
        assert ds.status.number_misscheduled == 0
