"""Autoscale coverage fails, naming the node that joined, when the DaemonSet controller stops after the
DaemonSet was rolled out. (The joined node also never becomes Ready: its CNI is a DaemonSet too.)"""

from __future__ import annotations

import pytest
from breakers.control_plane import controllers_disabled

from clusters.kube.waits import WaitTimeout, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import DaemonSet, daemonset_manifest

pytestmark = [pytest.mark.disruptive, pytest.mark.adds_nodes, pytest.mark.slow]


def test_joined_node_without_its_pod_is_named(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    if wc_cluster.kind is None:
        pytest.skip(
            "needs a kind cluster brought up by this suite to join a node and restart its controllers"
        )
    apps = wc_cluster.apps
    apps.create_namespaced_daemon_set(namespace, daemonset_manifest("agent", wc_cluster.toolbox_image))
    agent = DaemonSet(wc_cluster.api, namespace, "agent")
    wait_for(agent.covers_eligible_nodes())
    joined = None
    try:
        with controllers_disabled(wc_cluster.kind, ["daemonset-controller"]):
            joined = wc_cluster.kind.add_worker(wait_ready=False)
            with pytest.raises(WaitTimeout) as failure:
                # the probe the autoscale guarantee waits with, for the node that joined
                wait_for(agent.pod_ready_on(joined.name, timeout=30))
    finally:
        if joined is not None:
            wc_cluster.kind.remove_worker(joined.name)
    message = str(failure.value)
    assert "timed out after" in message and f"{joined.name}: no pod" in message, message
