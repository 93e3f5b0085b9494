"""A DaemonSet rolling update replaces pods node by node within maxUnavailable, or side by side within
maxSurge, judged over the whole rollout from the API's event stream."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.observation.event_recorder import PodRecord
from fixtures.observation.rollout import most_surplus, most_unavailable
from fixtures.resources.daemonsets import rolling_update

pytestmark = pytest.mark.daemonset

NEW_TEMPLATE = {"name": "agent", "env": [{"name": "AGENT_REVISION", "value": "2"}]}


def _roll_out(
    make_daemonset, pod_events, step, strategy: client.V1DaemonSetUpdateStrategy
) -> tuple[set[str], list[PodRecord]]:
    """Create the DaemonSet, record its pods' events, change its template and wait until every pod is
    at the new revision. Returns (eligible nodes, records)."""
    with step("arrange: a DaemonSet covering its nodes, its pod events recorded"):
        agent = make_daemonset("agent", update_strategy=strategy)
        _, nodes, before = wait_for(agent.covers_eligible_nodes())
        assert nodes, "no node is eligible: there is no rollout to judge"
        old_uids = {p.metadata.uid for pods in before.values() for p in pods}
        recorder = pod_events(f"{APP_LABEL}=agent")
        wait_for(
            recorder.probe(
                lambda records: old_uids <= {r.uid for r in records} or None, "the recorder lists every pod"
            )
        )
    with step("act: change the pod template"):
        old_revision = agent.newest_revision()
        agent.patch_container(NEW_TEMPLATE)
        # the controller records the new ControllerRevision before it reports the generation observed
        wait_for(agent.generation_observed())
        new_revision = agent.newest_revision()
        assert new_revision != old_revision, "the template change made no new ControllerRevision"
    with step(f"observe: every eligible node runs one Ready pod at revision {new_revision}"):
        after = wait_for(agent.all_pods_at_revision(new_revision, timeout=240))
        new_uids = {p.metadata.uid for pods in after.values() for p in pods}
        kept = sorted(p.metadata.name for pods in before.values() for p in pods if p.metadata.uid in new_uids)
        assert not kept, f"pods not replaced by the rollout: {kept}"
    return nodes, recorder.records


@pytest.mark.upstream(
    "daemon_set.go: should update pod when spec was updated and update strategy is RollingUpdate",
    parity="stricter",
    note="maxUnavailable=1 (the default) judged at every moment of the rollout from the pod event stream; "
    "every pod replaced, none kept, all Ready at the new revision",
)
def test_rolling_update_never_exceeds_max_unavailable(make_daemonset, pod_events, step) -> None:
    """With maxUnavailable=1 and no surge, a template change MUST replace every pod while at no moment
    more than one eligible node is without an available pod.

    Fails on: a daemonset controller that deletes old pods on several nodes at once (the moment and the
    nodes are named), or that never replaces pods (the pods left behind are named)."""
    nodes, records = _roll_out(make_daemonset, pod_events, step, rolling_update(1, 0))
    with step("observe: at most one node without an available pod throughout the rollout"):
        worst = most_unavailable(records, nodes)
        since = records[0].monotonic
        assert worst.value <= 1, f"more than maxUnavailable=1 nodes unavailable: {worst.describe(since)}"
        assert most_surplus(records).value == 0, f"surplus pods without maxSurge: {most_surplus(records)}"


def test_rolling_update_with_max_surge_runs_old_and_new_side_by_side(
    make_daemonset, pod_events, step
) -> None:
    """With maxSurge=1 and maxUnavailable=0, the new pod on a node MUST start before the old one goes,
    at no moment may more than one extra pod exist, and no node may be without an available pod.

    Fails on: a cluster that ignores maxSurge (old pods deleted first: a node without an available pod
    is named) or surges on several nodes at once (the crowded nodes are named)."""
    nodes, records = _roll_out(make_daemonset, pod_events, step, rolling_update(0, 1))
    with step("observe: old and new side by side, never more than one extra pod, none missing"):
        since = records[0].monotonic
        surplus = most_surplus(records)
        assert surplus.value == 1, (
            f"expected exactly one extra pod at the busiest moment: {surplus.describe(since)}"
        )
        worst = most_unavailable(records, nodes)
        assert worst.value == 0, f"a node went without an available pod: {worst.describe(since)}"
