"""A StatefulSet pod goes where its volume is: the PersistentVolume bound to its claim says, in
``spec.nodeAffinity``, which nodes can use it, and every incarnation of the pod MUST run on one of
those nodes, or wait, Pending and saying why, until one of them can take it."""

from __future__ import annotations

from dataclasses import dataclass

import allure
import pytest
from kubernetes import client

from clusters.kube.events import recent_events
from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import untainted_workers
from fixtures.resources.node_changes import NodeChanges
from fixtures.resources.pods import exec_in_pod, pod_state
from fixtures.resources.statefulsets import (
    DATA_DIR,
    claim_name,
    statefulset_manifest,
    wait_for_replacement,
    wait_for_statefulset_ready,
)
from fixtures.resources.volumes import (
    allowed_nodes,
    bound_volume,
    describe_node_affinity,
    mentions_volume_node_affinity,
    refused_by_scheduler,
)

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIM = claim_name("data", "web", 0)
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


def _assert_reads_the_old_data(wc_cluster: ClusterUnderTest, namespace: str, pinned: Pinned) -> None:
    result = exec_in_pod(wc_cluster.core, namespace, "web-0", ["cat", DATA_FILE])
    assert result.ok, f"the new web-0: cat {DATA_FILE} exited {result.returncode}: {result.output}"
    assert result.output.strip() == pinned.data, (
        f"the new web-0 read {result.output.strip()!r} from {DATA_FILE}; the old one wrote {pinned.data!r}"
    )


def _web_0_with_data(wc_cluster: ClusterUnderTest, namespace: str, storage_class: str | None) -> Pinned:
    """Create StatefulSet web of 1 with a claim template, wait until web-0 is Ready on a node its PV
    allows, and have it write its UID to its volume."""
    core, apps = wc_cluster.core, wc_cluster.apps
    manifest = statefulset_manifest(
        "web", wc_cluster.toolbox_image, replicas=1, volume_claim="data", storage_class=storage_class
    )
    apps.create_namespaced_stateful_set(namespace, manifest)
    _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=1, timeout=240)
    pod = pods[0]
    pv = wait_for(
        Probe(
            lambda: bound_volume(core, namespace, CLAIM),
            f"{CLAIM} Bound",
            timeout=60,
            subject=f"v1 PersistentVolumeClaim {namespace}/{CLAIM}",
        )
    )
    pinned = Pinned(pod, pv, allowed_nodes(pv, core.list_node().items), f"web-0 uid {pod.metadata.uid}")
    allure.attach(pinned.describe(), "where the volume allows its pod", allure.attachment_type.TEXT)
    assert pinned.allowed is None or pod.spec.node_name in pinned.allowed, (
        f"web-0 runs on {pod.spec.node_name}, which its volume does not allow: {pinned.describe()}"
    )
    result = exec_in_pod(core, namespace, "web-0", ["sh", "-c", f"echo '{pinned.data}' > {DATA_FILE}"])
    assert result.ok, f"writing {DATA_FILE} in web-0: {result.output}"
    return pinned


def test_a_replaced_pod_lands_on_a_node_its_volume_allows_and_reads_its_data(
    wc_cluster: ClusterUnderTest, namespace: str, storage_class_name: str | None
) -> None:
    """With a StatefulSet web of 1 whose claim data-web-0 is Bound to a PV, deleting web-0 MUST bring a new
    web-0 (another UID) onto a node the PV's spec.nodeAffinity allows, and it MUST read the file the old
    web-0 wrote to the volume.

    Fails on: a scheduler that ignores a PV's node affinity (the node the new web-0 landed on is named
    with the nodes the PV allows; on node-local storage it then fails to mount, or mounts an empty
    directory), or storage that loses the data across pods (what the new web-0 read is named)."""
    core = wc_cluster.core
    with allure.step("arrange: StatefulSet web of 1 with a claim template; web-0 writes to its volume"):
        pinned = _web_0_with_data(wc_cluster, namespace, storage_class_name)

    with allure.step("act: delete web-0"):
        core.delete_namespaced_pod("web-0", namespace)

    with allure.step("observe: a new web-0 runs on a node the PV allows and reads the old web-0's file"):
        new = wait_for_replacement(core, namespace, "web-0", pinned.pod.metadata.uid)
        assert pinned.allowed is None or new.spec.node_name in pinned.allowed, (
            f"the new web-0 runs on {new.spec.node_name}: {pinned.describe()}"
        )
        _assert_reads_the_old_data(wc_cluster, namespace, pinned)


@pytest.mark.disruptive
def test_a_replaced_pod_waits_pending_while_its_volumes_nodes_are_cordoned(
    wc_cluster: ClusterUnderTest, namespace: str, storage_class_name: str | None, node_changes: NodeChanges
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
    core = wc_cluster.core
    with allure.step("arrange: StatefulSet web of 1 with a claim template; web-0 writes to its volume"):
        pinned = _web_0_with_data(wc_cluster, namespace, storage_class_name)
        if pinned.allowed is None:
            pytest.skip(
                f"PV {pinned.pv.metadata.name} of {storage_class_name or 'the default StorageClass'} has no "
                "node affinity: the storage is reachable from every node, so nothing pins the pod"
            )
        others = sorted(set(untainted_workers(core)) - pinned.allowed)
        if not others:
            pytest.skip(
                f"no schedulable worker outside the nodes the volume allows ({pinned.describe()}): "
                "cordoning them would not show that the volume, not the cordon, keeps web-0 off the others"
            )

    with allure.step(f"arrange: cordon every node the volume allows: {', '.join(sorted(pinned.allowed))}"):
        for node in sorted(pinned.allowed):
            node_changes.cordon(node)

    with allure.step("act: delete web-0"):
        core.delete_namespaced_pod("web-0", namespace)

    with allure.step(f"observe: the new web-0 stays Pending, off {', '.join(others)}, saying why"):
        pod, event = wait_for(
            Probe(
                refused_by_scheduler(core, namespace, "web-0", pinned.pod.metadata.uid),
                "a new web-0, not scheduled, with a FailedScheduling event",
                timeout=120,
                subject=f"v1 Pod {namespace}/web-0",
                diagnose=lambda: f"{pinned.describe()}, all cordoned\n{recent_events(core, namespace)}",
            )
        )
        allure.attach(f"{event.reason}: {event.message}", "why web-0 is Pending", allure.attachment_type.TEXT)
        assert pod.status.phase == "Pending", f"the new web-0: {pod_state(pod)}"
        assert mentions_volume_node_affinity(event.message), (
            f"the scheduler's {event.reason} event on web-0 does not give the volume's node affinity as a "
            f"reason ({pinned.describe()}): {event.message}"
        )

    with allure.step("act: uncordon the nodes"):
        node_changes.undo_all()

    with allure.step("observe: web-0 is scheduled onto a node the volume allows and reads its data"):
        new = wait_for_replacement(core, namespace, "web-0", pinned.pod.metadata.uid)
        assert new.metadata.uid == pod.metadata.uid, f"web-0 was replaced again: uid {new.metadata.uid}"
        assert new.spec.node_name in pinned.allowed, (
            f"the new web-0 runs on {new.spec.node_name}: {pinned.describe()}"
        )
        _assert_reads_the_old_data(wc_cluster, namespace, pinned)
