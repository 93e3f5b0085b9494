"""The cluster the toolchain brings up: every node Ready, the expected topology and components."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.facts.cluster_under_test import ClusterUnderTest


def _ready(node: client.V1Node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def test_every_node_is_ready(wc_cluster: ClusterUnderTest) -> None:
    nodes = wc_cluster.core.list_node().items
    not_ready = {
        n.metadata.name: [f"{c.type}={c.status}" for c in n.status.conditions] for n in nodes if not _ready(n)
    }
    assert nodes, "the cluster has no nodes"
    assert not not_ready, f"nodes not Ready: {not_ready}"


def test_topology_is_one_control_plane_and_three_workers(wc_cluster: ClusterUnderTest) -> None:
    if wc_cluster.kind is None:
        pytest.skip("the topology is only known for clusters this suite created")
    nodes = [n.metadata.name for n in wc_cluster.core.list_node().items]
    control_planes = [n for n in nodes if n.endswith("-control-plane")]
    assert len(control_planes) == 1 and len(nodes) - 1 >= 3, f"nodes: {sorted(nodes)}"


@pytest.mark.parametrize("app", ["coredns", "kindnet", "local-path-provisioner"])
def test_system_components_run_from_the_toolchain_images(wc_cluster: ClusterUnderTest, app: str) -> None:
    """CoreDNS, the CNI and the storage driver are Running, from the images the node image carries."""
    if wc_cluster.kind is None:
        pytest.skip("kind's components are only known for clusters this suite created")
    selector = {
        "coredns": "k8s-app=kube-dns",
        "kindnet": "app=kindnet",
        "local-path-provisioner": "app=local-path-provisioner",
    }[app]
    pods = wc_cluster.core.list_pod_for_all_namespaces(label_selector=selector).items
    assert pods, f"no pod with {selector}"
    not_running = {p.metadata.name: p.status.phase for p in pods if p.status.phase != "Running"}
    assert not not_running, f"{app} pods not Running: {not_running}"
    if wc_cluster.kind.toolchain.mode == "hermetic":
        images = {c.image for p in pods for c in p.spec.containers}
        expected = {
            "coredns": "registry.k8s.io/coredns/coredns:",
            "kindnet": "localhost/workload-conformance/kindnetd:",
            "local-path-provisioner": "localhost/workload-conformance/local-path-provisioner:",
        }[app]
        assert all(image.startswith(expected) for image in images), f"{app} runs {images}"
