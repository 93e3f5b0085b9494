"""A toleration that matches a node's NoSchedule taint, by key, value and effect (Equal) or by key alone
(Exists), lets the DaemonSet run its pod on that node."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import describe_pods, format_toleration
from fixtures.resources.eligibility import expected_node_names
from fixtures.resources.nodes import free_workers, node_key

pytestmark = pytest.mark.daemonset

VALUE = "admitted"


def equal(key: str) -> client.V1Toleration:
    return client.V1Toleration(key=key, operator="Equal", value=VALUE, effect="NoSchedule")


def exists(key: str) -> client.V1Toleration:
    return client.V1Toleration(key=key, operator="Exists")


@pytest.mark.parametrize(
    "toleration",
    [pytest.param(equal, id="Equal-key-value-effect"), pytest.param(exists, id="Exists-key-only")],
)
def test_matching_toleration_admits_the_tainted_node(
    wc_cluster,
    namespace: str,
    make_daemonset,
    node_changes,
    step,
    toleration: Callable[[str], client.V1Toleration],
) -> None:
    """A DaemonSet whose toleration matches a node's NoSchedule taint (Equal: same key, value and effect;
    Exists: same key, any value and effect) MUST run one Ready pod on that node, as on every other node it
    covers.

    Fails on: a scheduler or daemonset controller that does not match tolerations against taints (compares
    the value under Exists, or ignores tolerations of pod templates): no pod on the tainted node, which the
    message names."""
    workers = free_workers(wc_cluster.core)
    node = workers[0]
    key = node_key(namespace, "tolerated")
    taint = f"{key}={VALUE}:NoSchedule"

    with step(f"arrange: taint {node} with {taint}"):
        nodes_untainted = wc_cluster.core.list_node().items
        node_changes.taint(node, key, VALUE, "NoSchedule")

    with step(f"act: create a DaemonSet tolerating {format_toleration(toleration(key))}"):
        agent = make_daemonset("agent", tolerations=[toleration(key)])

    with step(f"observe: a Ready pod on {node}, as on every node covered without the taint"):
        untainted = expected_node_names(nodes_untainted, agent.read().spec.template.spec)
        _, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
        assert node in expected and node in by_node, (
            f"no pod on {node}, which carries {taint} the DaemonSet tolerates; pods: {describe_pods(by_node)}"
        )
        assert expected == untainted, (
            f"covered without the taint: {sorted(untainted)}; with {taint} on {node}: {sorted(expected)}"
        )
