"""A DaemonSet with the OnDelete strategy replaces nothing until a pod is deleted; the replacement has
the new template."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import pod_added_or_deleted
from fixtures.resources.daemonsets import revision_hash

pytestmark = pytest.mark.daemonset

QUIET_WINDOW = 5  # seconds, after the controller has observed the change, in which nothing may be replaced


@pytest.mark.upstream(
    "daemon_set.go: should run and stop simple daemon",
    parity="stricter",
    note="a deleted pod comes back under OnDelete, where only the controller's repair can bring it; "
    "coverage derived from taints and selectors, status at the observed generation, the other pods kept",
)
@pytest.mark.upstream(
    "daemon_set.go: should not update pod when spec was updated and update strategy is OnDelete",
    parity="stricter",
    note="no pod created or deleted for 15 s after the change; a deleted pod comes back at the new "
    "revision while the others stay the same pods at the old one",
)
def test_on_delete_replaces_only_deleted_pods(make_daemonset, pod_events, step) -> None:
    """After a template change, no pod may be replaced for a while; once one pod is deleted, its node MUST
    get a Ready pod at the new revision and every other pod MUST stay (same UID, old revision).

    Fails on: a cluster that treats OnDelete like RollingUpdate (the replaced pods are named), or whose
    daemonset controller does not recreate a deleted pod."""
    with step("arrange: an OnDelete DaemonSet covering its nodes, its pod events recorded"):
        agent = make_daemonset("agent", update_strategy=client.V1DaemonSetUpdateStrategy(type="OnDelete"))
        _, nodes, before = wait_for(agent.covers_eligible_nodes())
        old = {p.metadata.uid: p for pods in before.values() for p in pods}
        old_revision = agent.newest_revision()
        recorder = pod_events(f"{APP_LABEL}=agent")
        wait_for(recorder.listed(old))

    with step("act: change the pod template"):
        agent.patch_container({"name": "agent", "env": [{"name": "AGENT_REVISION", "value": "2"}]})
        ds = wait_for(agent.generation_observed())
        new_revision = agent.newest_revision()
        assert new_revision != old_revision, "the template change made no new ControllerRevision"

    with step(f"observe: nothing is replaced within {QUIET_WINDOW} s"):
        holds_for(
            recorder.never(pod_added_or_deleted, "no pod deleted or created"),
            QUIET_WINDOW,
            "OnDelete replaced a pod without being asked",
        )
        assert ds.status.updated_number_scheduled in (0, None)

    victim_node = sorted(nodes)[0]
    victim = before[victim_node][0]
    with step(f"act: delete {victim.metadata.name} on {victim_node}"):
        agent.core.delete_namespaced_pod(victim.metadata.name, agent.namespace)

    with step(f"observe: {victim_node} gets a pod at revision {new_revision}, the others are untouched"):
        replacement = wait_for(agent.pod_ready_on(victim_node, replacing=victim, timeout=120))
        assert revision_hash(replacement) == new_revision
        pods = agent.pods_by_node()
        for node in sorted(nodes - {victim_node}):
            (pod,) = pods[node]
            assert pod.metadata.uid in old, f"{node}: {pod.metadata.name} was replaced without being deleted"
            assert revision_hash(pod) == old_revision, (
                f"{node}: {pod.metadata.name} moved to {revision_hash(pod)}"
            )
