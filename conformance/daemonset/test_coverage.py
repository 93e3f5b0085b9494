"""A DaemonSet runs exactly one available pod on every eligible node and none elsewhere."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.eligibility import eligible_nodes

pytestmark = pytest.mark.daemonset


def test_daemonset_covers_every_eligible_node(wc_cluster, make_daemonset, step) -> None:
    """Every node the DaemonSet controller must serve (taints, tolerations, selectors) MUST run exactly one
    Ready pod of it, no other node may run one, and status desired/current/ready/updated/available MUST
    equal the eligible count with nothing misscheduled, at the current observedGeneration.

    Fails on: a cluster whose kube-controller-manager runs without the daemonset controller (no pods, the
    message names every node lacking its pod), or where a node never becomes Ready for pods."""
    with step("arrange: list the nodes"):
        nodes = wc_cluster.core.list_node().items

    with step("act: create the DaemonSet; judge which nodes it must cover by its template"):
        agent = make_daemonset("agent")
        verdicts = eligible_nodes(nodes, agent.read().spec.template.spec)
        step.attach("\n".join(str(v) for v in verdicts), "eligibility")
        assert any(v.eligible for v in verdicts), f"no node is eligible: {verdicts}"

    with step("observe: one Ready pod per eligible node, none elsewhere, status agrees"):
        ds, expected, by_node = wait_for(agent.covers_eligible_nodes())
        assert expected == {v.node for v in verdicts if v.eligible}
        assert set(by_node) == expected
        assert ds.status.number_misscheduled == 0
