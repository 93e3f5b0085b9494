"""Every pod reaches every other pod by its IP, whichever nodes the two run on: the flat pod network a
CNI plugin must provide, including the control plane's pods."""

from __future__ import annotations

import allure
import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pod_network import PROBE_PORT, start_probe_daemonset, wait_for_all_pairs

pytestmark = pytest.mark.network


def test_each_probe_pod_reaches_every_other_nodes_probe_pod(
    wc_cluster: ClusterUnderTest, namespace: str
) -> None:
    """With a DaemonSet of probe pods that tolerates every taint (so every node runs one, the control
    plane included), each listening on TCP port 7000, every probe pod MUST open a TCP connection to every
    other probe pod's IP, pod IP to pod IP, with no Service, NAT or DNS in between.

    Fails on: a CNI that leaves some node pairs unconnected (a missing route to a node's podCIDR, a
    FORWARD rule or network policy that drops pod traffic, a node whose CNI agent is not running): every
    failing pair is named as ``source-node (pod IP) -> target-node (pod IP): what nc said``."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step(f"arrange: a DaemonSet of probe pods listening on TCP {PROBE_PORT}, on every node"):
        nodes = start_probe_daemonset(apps, core, namespace, wc_cluster.toolbox_image)
        assert len(nodes) >= 2, f"the probe pods run on {sorted(nodes)}: there is no pair of nodes to check"

    with allure.step(f"observe: each of the {len(nodes)} probe pods connects to every other one"):
        probes = wait_for_all_pairs(apps, core, namespace)
        allure.attach(
            "\n".join(f"{p.node} {p.pod} {p.ip}" for p in probes), "probe pods", allure.attachment_type.TEXT
        )
