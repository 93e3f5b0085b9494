"""Every pod reaches every other pod by its IP, whichever nodes the two run on: the flat pod network a
CNI plugin must provide, including the control plane's pods."""

from __future__ import annotations

import pytest

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for
from fixtures.resources.pod_network import EVERY_TAINT, PROBE_DAEMONSET, PROBE_PORT, all_pairs_reach

pytestmark = pytest.mark.network


def test_each_probe_pod_reaches_every_other_nodes_probe_pod(make_daemonset, step) -> None:
    """With a DaemonSet of probe pods that tolerates every taint (so every node runs one, the control
    plane included), each listening on TCP port 7000, every probe pod MUST open a TCP connection to every
    other probe pod's IP, pod IP to pod IP, with no Service, NAT or DNS in between.

    Fails on: a CNI that leaves some node pairs unconnected (a missing route to a node's podCIDR, a
    FORWARD rule or network policy that drops pod traffic, a node whose CNI agent is not running): every
    failing pair is named as ``source-node (pod IP) -> target-node (pod IP): what nc said``. Not verified
    on a single node."""
    with step(f"arrange: a DaemonSet of probe pods listening on TCP {PROBE_PORT}, on every node"):
        probes = make_daemonset(PROBE_DAEMONSET, tolerations=[EVERY_TAINT], listen_port=PROBE_PORT)
        _, nodes, _ = wait_for(probes.covers_eligible_nodes())
        if len(nodes) < 2:
            raise NotVerified(
                f"the probe pods run on {sorted(nodes)}: there is no pair of nodes to check",
                remedy="run on a cluster with at least two nodes",
            )

    with step(f"observe: each of the {len(nodes)} probe pods connects to every other one"):
        pods = wait_for(all_pairs_reach(probes))
        step.attach("\n".join(f"{p.node} {p.pod} {p.ip}" for p in pods), "probe pods")
