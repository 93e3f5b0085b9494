"""A DaemonSet scoped to a node label, by nodeSelector or by required node affinity, runs only on the nodes
carrying the label, and follows the label as it is added to and removed from nodes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import by_node_selector, by_required_affinity, describe_pods
from fixtures.resources.nodes import free_workers, node_key

pytestmark = pytest.mark.daemonset

VALUE = "yes"


@pytest.mark.parametrize(
    "scope",
    [
        pytest.param(by_node_selector, id="nodeSelector"),
        pytest.param(
            by_required_affinity,
            id="affinity-In",
            marks=pytest.mark.upstream(
                "daemon_set.go: should run and stop complex daemon with node affinity",
                parity="stricter",
                note="a second labelled node; the pods of the nodes that keep the label stay the same pods",
            ),
        ),
    ],
)
def test_daemonset_runs_only_on_labelled_nodes(
    wc_cluster, namespace: str, make_daemonset, node_changes, step, scope: Callable[[str, str], dict]
) -> None:
    """A DaemonSet whose pods select a node label MUST run a pod on a node once it carries the label, on no
    node without it, and MUST delete the pod (by UID) of a node that loses the label, leaving the pods of
    the nodes that keep it (same UIDs) alone.

    Fails on: a daemonset controller that does not react to node label changes (no pod on the newly
    labelled node, or the pod of the node that lost the label still running; node and pod named in the
    message), or one that ignores the selector (pods on unlabelled nodes, named in the message)."""
    workers = free_workers(wc_cluster.core, 2)
    first, second = workers[:2]
    key = node_key(namespace, "daemon")

    with step(f"arrange: a DaemonSet selecting {key}={VALUE}, which no node carries yet"):
        agent = make_daemonset("agent", **scope(key, VALUE))
        _, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=60))
        assert not expected and not by_node, f"pods before any node is labelled: {describe_pods(by_node)}"

    with step(f"act: label {first}"):
        node_changes.label(first, key, VALUE)

    with step(f"observe: a pod on {first} and nowhere else"):
        _, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
        assert set(by_node) == expected == {first}, f"labelled {first}; pods: {describe_pods(by_node)}"
        (on_first,) = by_node[first]

    with step(f"act: label {second} too"):
        node_changes.label(second, key, VALUE)

    with step(f"observe: a pod on {second} as well, the one on {first} untouched"):
        _, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
        assert set(by_node) == expected == {first, second}, (
            f"labelled {first} and {second}; pods: {describe_pods(by_node)}"
        )
        assert by_node[first][0].metadata.uid == on_first.metadata.uid, (
            f"{on_first.metadata.name} on {first} was replaced by {by_node[first][0].metadata.name} "
            f"when {second} was labelled"
        )
        (on_second,) = by_node[second]

    with step(f"act: remove the label from {first}"):
        node_changes.label(first, key, None)

    with step(f"observe: {on_first.metadata.name} on {first} deleted, {on_second.metadata.name} stays"):
        wait_for(
            agent.pods_gone([on_first]).described(
                f"pod {on_first.metadata.name} deleted after {first} lost the label {key}"
            )
        )
        _, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
        assert set(by_node) == expected == {second}, (
            f"only {second} is labelled; pods: {describe_pods(by_node)}"
        )
        assert by_node[second][0].metadata.uid == on_second.metadata.uid, (
            f"{on_second.metadata.name} on {second} was replaced by {by_node[second][0].metadata.name} "
            f"when {first} lost the label"
        )
