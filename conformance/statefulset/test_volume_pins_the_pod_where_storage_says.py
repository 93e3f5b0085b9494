"""A StatefulSet pod goes where its volume is: the PersistentVolume bound to its claim says, in
``spec.nodeAffinity``, which nodes can use it, and every incarnation of the pod MUST run on one of
those nodes, or wait, Pending and saying why, until one of them can take it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from kubernetes import client

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for
from fixtures.resources.nodes import free_workers
from fixtures.resources.pods import Pod, pod_state
from fixtures.resources.statefulset_manifests import DATA_DIR
from fixtures.resources.statefulsets import StatefulSet
from fixtures.resources.volumes import (
    allowed_nodes,
    describe_node_affinity,
    mentions_volume_node_affinity,
    refused_by_scheduler,
)

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

DATA_FILE = f"{DATA_DIR}/written-by"


@dataclass(frozen=True)
class Pinned:
    """web-0 as the arrange step left it: the pod, its bound PV, the nodes the PV allows (None: every
    node) and what it wrote to its volume."""

    pod: client.V1Pod
    pv: client.V1PersistentVolume
    allowed: set[str] | None
    data: str

    def describe(self) -> str:
        where = "every node" if self.allowed is None else ", ".join(sorted(self.allowed))
        return f"PV {self.pv.metadata.name}: nodeAffinity {describe_node_affinity(self.pv)} -> {where}"


def _assert_reads_the_old_data(web_0: Pod, pinned: Pinned) -> None:
    result = web_0.exec(["cat", DATA_FILE])
    assert result.ok, f"the new web-0: cat {DATA_FILE} exited {result.returncode}: {result.output}"
    assert result.output.strip() == pinned.data, (
        f"the new web-0 read {result.output.strip()!r} from {DATA_FILE}; the old one wrote {pinned.data!r}"
    )


def _web_0_with_data(make_statefulset_with_claims, step) -> tuple[StatefulSet, Pinned]:
    """Create StatefulSet web of 1 with a claim template, wait until web-0 is Ready on a node its PV
    allows, and have it write its UID to its volume."""
    web, pods, claims = make_statefulset_with_claims("web", replicas=1)
    pod = pods[0]
    (claim,) = claims.values()
    pv = web.core.read_persistent_volume(claim.spec.volume_name)
    pinned = Pinned(pod, pv, allowed_nodes(pv, web.core.list_node().items), f"web-0 uid {pod.metadata.uid}")
    step.attach(pinned.describe(), "where the volume allows its pod")
    assert pinned.allowed is None or pod.spec.node_name in pinned.allowed, (
        f"web-0 runs on {pod.spec.node_name}, which its volume does not allow: {pinned.describe()}"
    )
    result = web.pod(0).exec(["sh", "-c", f"echo '{pinned.data}' > {DATA_FILE}"])
    assert result.ok, f"writing {DATA_FILE} in web-0: {result.output}"
    return web, pinned


def test_a_replaced_pod_lands_on_a_node_its_volume_allows_and_reads_its_data(
    make_statefulset_with_claims, step
) -> None:
    """With a StatefulSet web of 1 whose claim data-web-0 is Bound to a PV, deleting web-0 MUST bring a new
    web-0 (another UID) onto a node the PV's spec.nodeAffinity allows, and it MUST read the file the old
    web-0 wrote to the volume.

    Fails on: a scheduler that ignores a PV's node affinity (the node the new web-0 landed on is named
    with the nodes the PV allows; on node-local storage it then fails to mount, or mounts an empty
    directory), or storage that loses the data across pods (what the new web-0 read is named)."""
    with step("arrange: StatefulSet web of 1 with a claim template; web-0 writes to its volume"):
        web, pinned = _web_0_with_data(make_statefulset_with_claims, step)

    with step("act: delete web-0"):
        web.delete_pod(0)

    with step("observe: a new web-0 runs on a node the PV allows and reads the old web-0's file"):
        new = wait_for(web.replaced("web-0", pinned.pod.metadata.uid))
        assert pinned.allowed is None or new.spec.node_name in pinned.allowed, (
            f"the new web-0 runs on {new.spec.node_name}: {pinned.describe()}"
        )
        _assert_reads_the_old_data(web.pod(0), pinned)


@pytest.mark.disruptive
def test_a_replaced_pod_waits_pending_while_its_volumes_nodes_are_cordoned(
    make_statefulset_with_claims, storage_class_name, node_changes, step
) -> None:
    """With a StatefulSet web of 1 whose claim data-web-0 is Bound to a PV that allows only some nodes,
    and every node it allows cordoned, a new web-0 (after deleting the old) MUST stay Pending, unbound to
    any node although other schedulable nodes exist, with a FailedScheduling event that says the volume's
    node affinity conflicts; once the nodes are uncordoned it MUST be scheduled onto a node the PV allows
    and read the file the old web-0 wrote.

    Fails on: a scheduler that places the pod on a node its volume does not allow (aborts at once,
    naming the node), that gives no reason for keeping it Pending (no FailedScheduling event, or one that
    does not mention the volume's node affinity: the event is quoted), or that never retries it once the
    nodes are schedulable again (its last state is named)."""
    with step("arrange: StatefulSet web of 1 with a claim template; web-0 writes to its volume"):
        web, pinned = _web_0_with_data(make_statefulset_with_claims, step)
        if pinned.allowed is None:
            raise NotVerified(
                f"PV {pinned.pv.metadata.name} of {storage_class_name or 'the default StorageClass'} has no "
                "node affinity: the storage is reachable from every node, so nothing pins the pod",
                remedy="test a StorageClass whose volumes are bound to nodes, or leave this guarantee out "
                "on purpose with -k",
            )
        others = sorted(set(free_workers(web.core)) - pinned.allowed)
        if not others:
            raise NotVerified(
                f"no schedulable worker outside the nodes the volume allows ({pinned.describe()}): "
                "cordoning them would not show that the volume, not the cordon, keeps web-0 off the others",
                remedy="add a worker, or leave this guarantee out on purpose with -k",
            )

    with step(f"arrange: cordon every node the volume allows: {', '.join(sorted(pinned.allowed))}"):
        for node in sorted(pinned.allowed):
            node_changes.cordon(node)

    with step("act: delete web-0"):
        web.delete_pod(0)

    with step(f"observe: the new web-0 stays Pending, off {', '.join(others)}, saying why"):
        refused = refused_by_scheduler(web.pod(0), pinned.pod.metadata.uid)
        pod, event = wait_for(refused.described(f"{refused.description} ({pinned.describe()}, all cordoned)"))
        step.attach(f"{event.reason}: {event.message}", "why web-0 is Pending")
        assert pod.status.phase == "Pending", f"the new web-0: {pod_state(pod)}"
        assert mentions_volume_node_affinity(event.message), (
            f"the scheduler's {event.reason} event on web-0 does not give the volume's node affinity as a "
            f"reason ({pinned.describe()}): {event.message}"
        )

    with step("act: uncordon the nodes"):
        node_changes.undo_all()

    with step("observe: web-0 is scheduled onto a node the volume allows and reads its data"):
        new = wait_for(web.replaced("web-0", pinned.pod.metadata.uid))
        assert new.metadata.uid == pod.metadata.uid, f"web-0 was replaced again: uid {new.metadata.uid}"
        assert new.spec.node_name in pinned.allowed, (
            f"the new web-0 runs on {new.spec.node_name}: {pinned.describe()}"
        )
        _assert_reads_the_old_data(web.pod(0), pinned)
