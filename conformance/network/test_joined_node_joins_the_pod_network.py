"""A node that joins a running cluster joins its pod network: its pods reach every other node's pods
and are reached from them, pod IP to pod IP, with nothing but the join itself."""

from __future__ import annotations

from contextlib import ExitStack

import allure
import pytest
from kubernetes import client

from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import pod_deleted, wait_for_daemon_pod_on
from fixtures.resources.node_lifecycle import joined_worker
from fixtures.resources.pod_network import (
    PROBE_DAEMONSET,
    PROBE_PORT,
    start_probe_daemonset,
    wait_for_all_pairs,
)

pytestmark = [pytest.mark.network, pytest.mark.disruptive, pytest.mark.slow]


def _delete_probes_before_the_node_leaves(
    wc_cluster: ClusterUnderTest, namespace: str, pod: client.V1Pod
) -> None:
    """Delete the DaemonSet and wait until its pod on the joined node is gone: a pod still bound to a node
    that was removed lingers until the pod garbage collector finds it, a minute or more, and holds up the
    deletion of the namespace."""
    wc_cluster.apps.delete_namespaced_daemon_set(PROBE_DAEMONSET, namespace)
    wait_for(
        Probe(
            lambda: pod_deleted(wc_cluster.core, namespace, pod),
            f"{pod.metadata.name} gone from {pod.spec.node_name} before the node leaves",
            timeout=60,
            subject=f"v1 Pod {namespace}/{pod.metadata.name}",
        )
    )


def test_a_joined_nodes_probe_pod_reaches_and_is_reached_by_every_other_node(
    wc_cluster: ClusterUnderTest, namespace: str
) -> None:
    """With a DaemonSet of probe pods on every node (tolerating every taint), each listening on TCP port
    7000, a worker that joins afterwards MUST get a Ready probe pod, and then every probe pod MUST open a
    TCP connection to every other one, pod IP to pod IP: the new node's pod to every old node's pod and
    every old node's pod to the new node's pod.

    Fails on: a CNI that sets up the pod network only for the nodes it found when it started (no route to
    the new node's podCIDR on the old nodes, or none from the new node to theirs), or that never installs
    itself on a new node (no probe pod gets Ready there: the node is named): every failing pair is named
    as ``source-node (pod IP) -> target-node (pod IP): what nc said``."""
    if wc_cluster.kind is None:
        pytest.skip("needs a kind cluster brought up by this suite to add and remove a node")
    core, apps = wc_cluster.core, wc_cluster.apps

    with allure.step(f"arrange: a DaemonSet of probe pods listening on TCP {PROBE_PORT}, on every node"):
        before = start_probe_daemonset(apps, core, namespace, wc_cluster.toolbox_image)

    with ExitStack() as leave:  # the joined node is removed at the end, also after a failure
        with allure.step("act: a worker joins the running cluster"):
            joined = leave.enter_context(joined_worker(wc_cluster.kind))

        with allure.step(f"observe: {joined.name} gets a Ready probe pod"):
            pod = wait_for_daemon_pod_on(core, namespace, PROBE_DAEMONSET, joined.name)
            leave.callback(_delete_probes_before_the_node_leaves, wc_cluster, namespace, pod)

        with allure.step(f"observe: every pair of nodes connects, {joined.name} included"):
            probes = wait_for_all_pairs(
                apps, core, namespace, including=f"{joined.name} ({pod.status.pod_ip})"
            )
            probed = {p.node for p in probes}
            assert probed == before | {joined.name}, (
                f"probed {sorted(probed)}; before the join {sorted(before)}"
            )
