"""A DaemonSet rolling update with maxSurge as a percentage and minReadySeconds keeps to its surge bound and
hands every node over from its old pod to a new one in time, while pods are killed and made unready
during the rollout; judged over the whole rollout from the API's event stream."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import scaled, wait_for
from fixtures.observation.event_recorder import PodRecord, controlled_by
from fixtures.observation.rollout import (
    handovers,
    most_doubled,
    most_surge_beside_ready,
    most_unavailable,
    state_after,
)
from fixtures.resources.daemonsets import revision_hash, rolling_update
from fixtures.resources.pods import Pod, exec_in_pod, running_image_id

pytestmark = pytest.mark.daemonset

MAX_SURGE_PERCENT = 50
MIN_READY_SECONDS = 10
READY_FILE = "/tmp/ready"
#: Watch events arrive after the kubelet's and the controller's clocks (kept to the second) say they happened.
ARRIVAL_SLACK = 2.0
#: Seconds past minReadySeconds within which an old pod must be gone once a new pod is Ready beside it.
GONE_WITHIN = 30.0


def surge_bound(percent: int, nodes: int) -> int:
    """maxSurge as a percentage of the nodes that should run a pod, rounded up."""
    return -(-percent * nodes // 100)


def new_pods_beside_old(records: list[PodRecord], old_uids: set[str]) -> dict[str, str] | None:
    """``{node: new pod}`` for the nodes where a new pod now runs beside an old one; None when none does."""
    pods = state_after(records)
    live = {uid: p for uid, p in pods.items() if p.node and not p.deleting}
    old_nodes = {p.node for uid, p in live.items() if uid in old_uids}
    beside = {p.node: p.name for uid, p in live.items() if uid not in old_uids and p.node in old_nodes}
    return beside or None


@pytest.mark.upstream(
    "daemon_set.go: should surge pods onto nodes when spec was updated and update strategy is RollingUpdate",
    parity="stricter",
    note="judged at every event of the rollout, not by polling: the surge bound exact (50% of the nodes, "
    "rounded up, reached and never passed), old pods deleted only after minReadySeconds and gone within 30 s "
    "more, no node without a Ready pod but the one made unready; the update also changes the image reference",
)
def test_surge_percentage_holds_while_pods_are_killed_and_made_unready(
    make_daemonset, pod_events, step
) -> None:
    """With maxSurge=50% (of the eligible nodes, rounded up), maxUnavailable=0 and minReadySeconds=10, a
    template change that also names the running image by the ID its kubelet reports MUST, while the test
    kills a surging new pod and makes an old pod unready mid-rollout:
    - at no moment run new pods that are not Ready yet beside Ready old pods on more nodes than the bound
      (beside an old pod that is not Ready, a new pod is a replacement, not surge), and reach the bound;
    - never run two old or two new pods on one node;
    - delete a Ready old pod only once a new pod beside it has been Ready for minReadySeconds, and have it
      gone from the API within 30 s more (an unready old pod may go at once, but must go);
    - leave every node the test did not make unready with a Ready pod throughout;
    - go from one ControllerRevision, numbered 1, to revision 2, and end with every node running one Ready
      pod of revision 2 whose container runs the new image reference, every old pod gone (by UID).

    Fails on: a daemonset controller that ignores maxSurge or rounds its percentage otherwise (the busiest
    moment and its nodes are named), ignores minReadySeconds or leaves old pods behind (each old pod and
    how long its successor had been Ready are named), deletes Ready old pods before their successors are
    Ready (the node without a Ready pod is named), or a kubelet that cannot run the new image reference
    (the rollout times out naming the pods not Ready)."""
    with step(f"arrange: a DaemonSet, maxSurge {MAX_SURGE_PERCENT}%, minReadySeconds {MIN_READY_SECONDS}"):
        agent = make_daemonset(
            "agent",
            update_strategy=rolling_update(0, f"{MAX_SURGE_PERCENT}%"),
            min_ready_seconds=MIN_READY_SECONDS,
            ready_file=READY_FILE,
        )
        ds, nodes, before = wait_for(agent.covers_eligible_nodes())
        if len(nodes) < 2:
            raise NotVerified(
                f"{len(nodes)} eligible node(s): a pod killed on one node and one made unready on another "
                "need two",
                remedy="run on a cluster with at least two schedulable workers",
            )
        bound = surge_bound(MAX_SURGE_PERCENT, len(nodes))
        old_pods = [p for pods in before.values() for p in pods]
        old_uids = {p.metadata.uid for p in old_pods}
        first = [(r.revision, revision_hash(r)) for r in agent.revisions()]
        at_first = {revision_hash(p) for p in old_pods}
        assert len(first) == 1 and first[0][0] == 1 and at_first == {first[0][1]}, (
            f"expected one ControllerRevision, numbered 1, that every pod is of: revisions {first}, pods of "
            f"{sorted(at_first)}"
        )
        recorder = pod_events(f"{APP_LABEL}=agent")
        wait_for(recorder.listed(old_uids))
        image = running_image_id(old_pods[0])
        if image == ds.spec.template.spec.containers[0].image:
            raise NotVerified(
                f"the toolbox image is already named by the ID its kubelet reports ({image}): there is no "
                "second reference to change the image to",
                remedy="pass --wc-toolbox-image by tag",
            )

    with step(f"act: change the template: image {image} (the same image by ID), a new environment"):
        agent.patch_container(
            {"name": "agent", "image": image, "env": [{"name": "AGENT_REVISION", "value": "2"}]}
        )
        wait_for(agent.generation_observed())
        new_revision = agent.newest_revision()

    with step("act: once new pods run beside old ones, kill one of the new pods"):
        beside = wait_for(
            recorder.probe(lambda records: new_pods_beside_old(records, old_uids), "new pods beside old ones")
        )
        killed_node, killed = sorted(beside.items())[0]
        Pod(agent.api, agent.namespace, killed).delete()

    with step("act: make an old pod on another node unready, one with no new pod beside it if there is"):
        pods = state_after(recorder.records)
        surged = {p.node for uid, p in pods.items() if uid not in old_uids and not p.deleting}
        candidates = sorted(
            (p.node in surged, p.node, p.name)
            for uid, p in pods.items()
            if uid in old_uids and p.ready and not p.deleting and p.node != killed_node
        )
        assert candidates, f"no Ready old pod left beside {killed_node} to make unready: {pods}"
        _, unready_node, unready = candidates[0]
        removed = exec_in_pod(agent.core, agent.namespace, unready, ["rm", READY_FILE])
        assert removed.ok, f"rm {READY_FILE} in {unready} failed ({removed.returncode}): {removed.output}"
        wait_for(
            recorder.probe(
                lambda records: any(r.name == unready and not r.ready for r in records) or None,
                f"{unready} on {unready_node} seen not Ready",
            )
        )

    with step(f"observe: every node runs one Ready pod of revision {new_revision} running {image}"):
        after = wait_for(agent.all_pods_at_revision(new_revision, timeout=300))
        new_pods = [p for pods in after.values() for p in pods]
        wrong = [
            f"{p.metadata.name} on {p.spec.node_name}: spec {p.spec.containers[0].image}, runs "
            f"{running_image_id(p)}"
            for p in new_pods
            if p.spec.containers[0].image != image or running_image_id(p) != image
        ]
        assert not wrong, f"pods not running the new image reference {image}: {'; '.join(wrong)}"
        wait_for(agent.pods_gone(old_pods))
        revisions = [(r.revision, revision_hash(r)) for r in agent.revisions()]
        assert revisions and revisions[-1] == (2, new_revision), (
            f"expected revision 2 ({new_revision}) to be the newest; revisions: {revisions}"
        )

    with step(
        f"observe: over the whole rollout, surge within {MAX_SURGE_PERCENT}% and every old pod handed over"
    ):
        records = controlled_by(recorder.records, ds.metadata.uid)
        assert records, "no pod event of the DaemonSet's pods was recorded"
        since = records[0].monotonic
        surge = most_surge_beside_ready(records, old_uids)
        limit = f"maxSurge {MAX_SURGE_PERCENT}% of {len(nodes)} nodes = {bound}"
        assert surge.value <= bound, f"surged beyond {limit}: {surge.describe(since)}"
        assert surge.value == bound, f"never surged up to {limit}; busiest: {surge.describe(since)}"
        handed = handovers(records, old_uids)
        doubled = most_doubled(records, old_uids)
        assert doubled.value == 0, f"two old or two new pods ran on one node: {doubled.describe(since)}"
        unseen = sorted({p.metadata.name for p in old_pods} - {h.old for h in handed})
        assert not unseen, f"old pods missing from the recorded events: {unseen}"
        faults = [f for h in handed if (f := h.fault(MIN_READY_SECONDS, ARRIVAL_SLACK, scaled(GONE_WITHIN)))]
        assert not faults, "; ".join(faults)
        steady = nodes - {unready_node}
        worst = most_unavailable(records, steady)
        assert worst.value == 0, (
            f"with maxUnavailable 0, a node went without a Ready pod: {worst.describe(since)}"
        )
