"""Workers join a running cluster (real node container, real kubeadm join) and leave it."""

from __future__ import annotations

import pytest
from kubernetes.client.rest import ApiException

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pods import create_pod_and_wait, delete_pod_and_wait, toolbox_pod

pytestmark = [pytest.mark.disruptive, pytest.mark.adds_nodes]


def test_added_node_becomes_ready_runs_a_pod_and_is_gone_once_removed(
    wc_cluster: ClusterUnderTest, namespace: str
) -> None:
    if wc_cluster.kind is None:
        pytest.skip("adding nodes needs a kind cluster brought up by this suite")
    joined = wc_cluster.kind.add_worker()
    try:
        node = wc_cluster.core.read_node(joined.name)
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
        pod = create_pod_and_wait(
            wc_cluster.core, namespace, toolbox_pod("on-new-node", wc_cluster.toolbox_image, node=joined.name)
        )
        assert pod.spec.node_name == joined.name
        # a pod left on a vanished node waits for the pod garbage collector: delete it first
        delete_pod_and_wait(wc_cluster.core, namespace, "on-new-node")
    finally:
        wc_cluster.kind.remove_worker(joined.name)
    with pytest.raises(ApiException) as lookup:
        wc_cluster.core.read_node(joined.name)
    assert lookup.value.status == 404
    assert joined.name not in wc_cluster.kind.node_containers()
