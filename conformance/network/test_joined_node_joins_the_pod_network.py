"""A node that joins a running cluster joins its pod network: its pods reach every other node's pods
and are reached from them, pod IP to pod IP, with nothing but the join itself."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import DaemonSet
from fixtures.resources.node_lifecycle import joined_node
from fixtures.resources.pod_network import EVERY_TAINT, PROBE_DAEMONSET, PROBE_PORT, all_pairs_reach
from fixtures.resources.pods import Pod

pytestmark = [pytest.mark.network, pytest.mark.disruptive, pytest.mark.slow]


def _delete_probes_before_the_node_leaves(probes: DaemonSet, pod: client.V1Pod) -> None:
    """Delete the DaemonSet and wait until its pod on the joined node is gone: a pod still bound to a node
    that was removed lingers until the pod garbage collector finds it, a minute or more, and holds up the
    deletion of the namespace."""
    probes.delete()
    name, node = pod.metadata.name, pod.spec.node_name
    wait_for(
        Pod(probes.api, probes.namespace, name)
        .gone(timeout=60)
        .described(f"gone from {node} before the node leaves")
    )


def test_a_joined_nodes_probe_pod_reaches_and_is_reached_by_every_other_node(
    node_lifecycle, make_daemonset, step
) -> None:
    """With a DaemonSet of probe pods on every node (tolerating every taint), each listening on TCP port
    7000, a worker that joins afterwards MUST get a Ready probe pod, and then every probe pod MUST open a
    TCP connection to every other one, pod IP to pod IP: the new node's pod to every old node's pod and
    every old node's pod to the new node's pod.

    Fails on: a CNI that sets up the pod network only for the nodes it found when it started (no route to
    the new node's podCIDR on the old nodes, or none from the new node to theirs), or that never installs
    itself on a new node (no probe pod gets Ready there: the node is named): every failing pair is named
    as ``source-node (pod IP) -> target-node (pod IP): what nc said``. The node joins the way
    --wc-node-provider says."""

    with step(f"arrange: a DaemonSet of probe pods listening on TCP {PROBE_PORT}, on every node"):
        probes = make_daemonset(PROBE_DAEMONSET, tolerations=[EVERY_TAINT], listen_port=PROBE_PORT)
        _, before, _ = wait_for(probes.covers_eligible_nodes())

    with ExitStack() as leave:  # the joined node is removed at the end, also after a failure
        with step(f"act: a node joins the running cluster ({node_lifecycle.how})"):
            joined = leave.enter_context(joined_node(node_lifecycle))

        with step(f"observe: {joined} gets a Ready probe pod"):
            pod = wait_for(probes.pod_ready_on(joined))
            leave.callback(_delete_probes_before_the_node_leaves, probes, pod)

        with step(f"observe: every pair of nodes connects, {joined} included"):
            pods = wait_for(all_pairs_reach(probes, including=f"{joined} ({pod.status.pod_ip})"))
            probed = {p.node for p in pods}
            assert probed == before | {joined}, f"probed {sorted(probed)}; before the join {sorted(before)}"
