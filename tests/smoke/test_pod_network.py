"""Pods on different workers reach each other over the pod network."""

from __future__ import annotations

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pods import create_pod_and_wait, exec_in_pod, toolbox_pod


def _workers(wc_cluster: ClusterUnderTest) -> list[str]:
    nodes = wc_cluster.core.list_node(label_selector="!node-role.kubernetes.io/control-plane").items
    return sorted(n.metadata.name for n in nodes)


def test_pod_on_one_worker_reaches_pod_on_another(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    workers = _workers(wc_cluster)
    assert len(workers) >= 2, f"needs two workers, the cluster has {workers}"
    server_node, client_node = workers[0], workers[1]
    server = create_pod_and_wait(
        wc_cluster.core,
        namespace,
        toolbox_pod("server", wc_cluster.toolbox_image, node=server_node, command=["nc", "-lk", "8080"]),
    )
    client_pod = create_pod_and_wait(
        wc_cluster.core, namespace, toolbox_pod("client", wc_cluster.toolbox_image, node=client_node)
    )
    assert server.spec.node_name != client_pod.spec.node_name

    def connects() -> str:
        result = exec_in_pod(
            wc_cluster.core, namespace, "client", ["nc", "-z", "-w", "3", server.status.pod_ip, "8080"]
        )
        if not result.ok:
            raise NotYet(f"nc exited {result.returncode}: {result.output.strip()}")
        return result.output

    wait_for(
        Probe(
            connects,
            f"a TCP connection from {client_node} to {server.status.pod_ip}:8080 on {server_node}",
            timeout=60,
            subject=f"pod {namespace}/client",
        )
    )
