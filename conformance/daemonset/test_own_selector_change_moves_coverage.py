"""A DaemonSet scoped to a node label follows the label from node to node, and changing its own scope
(nodeSelector or required node affinity) moves its pods to the nodes the new scope selects and off the
nodes it no longer does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kubernetes import client

from clusters.kube.premise import as_sent
from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import (
    DaemonSet,
    by_node_selector,
    by_required_affinity,
    describe_pods,
    revision_hash,
)
from fixtures.resources.nodes import free_workers, node_key

pytestmark = pytest.mark.daemonset

OLD, NEW = "blue", "green"


def pod_spec_fields(options: dict) -> dict:
    """``make_daemonset`` pod spec options (``node_selector=...``) as the pod spec's JSON fields."""
    return {client.V1PodSpec.attribute_map[field]: as_sent(value) for field, value in options.items()}


def runs_only_on(agent: DaemonSet, node: str | None, why: str) -> client.V1Pod | None:
    """Once the DaemonSet covers the nodes it selects: its pod on ``node`` and nowhere else, or no pod
    anywhere when ``node`` is None; ``why`` says why that is expected."""
    _, expected, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
    wanted = {node} if node else set()
    assert set(by_node) == expected == wanted, f"{why}; pods: {describe_pods(by_node)}"
    return by_node[node][0] if node else None


@pytest.mark.parametrize(
    "scope",
    [
        pytest.param(
            by_node_selector,
            id="nodeSelector",
            marks=pytest.mark.upstream(
                "daemon_set.go: should run and stop complex daemon",
                parity="stricter",
                note="starts OnDelete, so the switch to RollingUpdate is a change; its own scope change "
                "also moves coverage off a node the old scope selects (its pod gone by UID)",
            ),
        ),
        pytest.param(by_required_affinity, id="affinity-In"),
    ],
)
def test_changing_its_own_node_scope_moves_the_daemonset(
    wc_cluster, namespace: str, make_daemonset, node_changes, step, scope: Callable[[str, str], dict]
) -> None:
    """An OnDelete DaemonSet scoped to the nodes labelled blue MUST run no pod while no node is blue, run
    one on a node once it is labelled blue and delete it (gone from the API by UID) once that node is
    relabelled green. When the DaemonSet is then changed, in one patch, to the nodes labelled green and to
    the RollingUpdate strategy, while a second node is blue, the second node's pod MUST be deleted (gone by
    UID) and the green node MUST run one Ready pod of the new revision, with no pod on any other node and
    the status in agreement; the patch MUST be stored as sent.

    Fails on: a daemonset controller that does not follow node labels or its own template's node scope
    (a pod left on a node no longer selected, or none on a node now selected: pod and node named), or an
    API server or admission that stores the scope or the strategy otherwise (the field named)."""
    first, second = free_workers(wc_cluster.core, 2)[:2]
    key = node_key(namespace, "colour")

    with step(f"arrange: an OnDelete DaemonSet scoped to {key}={OLD}, which no node carries: no pod"):
        agent = make_daemonset(
            "agent", update_strategy=client.V1DaemonSetUpdateStrategy(type="OnDelete"), **scope(key, OLD)
        )
        runs_only_on(agent, None, f"no node is {OLD} yet")

    with step(f"act: label {first} {key}={OLD}; observe a pod there and nowhere else"):
        node_changes.label(first, key, OLD)
        on_first = runs_only_on(agent, first, f"only {first} is {OLD}")

    with step(f"act: relabel {first} {key}={NEW}; observe {on_first.metadata.name} gone, no pod anywhere"):
        node_changes.label(first, key, NEW)
        wait_for(
            agent.pods_gone([on_first]).described(f"pod {on_first.metadata.name} deleted: {first} is {NEW}")
        )
        runs_only_on(agent, None, f"no node is {OLD}")

    with step(f"act: label {second} {key}={OLD}; observe a pod there and nowhere else"):
        node_changes.label(second, key, OLD)
        on_second = runs_only_on(agent, second, f"only {second} is {OLD}")

    with step(f"act: patch its scope to {key}={NEW} and its strategy to RollingUpdate, in one change"):
        template_spec = pod_spec_fields(scope(key, NEW))
        agent.patch(
            {"spec": {"updateStrategy": {"type": "RollingUpdate"}, "template": {"spec": template_spec}}}
        )
        wait_for(agent.generation_observed())
        new_revision = agent.newest_revision()

    with step(f"observe: {on_second.metadata.name} on {second} gone from the API"):
        wait_for(
            agent.pods_gone([on_second]).described(
                f"pod {on_second.metadata.name} on {second} deleted once the DaemonSet no longer selects it"
            )
        )

    with step(f"observe: one Ready pod at revision {new_revision} on {first}, none elsewhere"):
        on_green = runs_only_on(agent, first, f"scoped to {key}={NEW}, which only {first} carries")
        assert revision_hash(on_green) == new_revision, (
            f"{on_green.metadata.name} on {first} is of revision {revision_hash(on_green)}, "
            f"not the changed template's {new_revision}"
        )
