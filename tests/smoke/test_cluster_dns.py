"""Pods resolve Service names and a headless Service's pod records through the cluster DNS."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pods import create_pod_and_wait, resolve_a_records, toolbox_pod

pytestmark = pytest.mark.dns


def test_pod_resolves_the_kubernetes_service(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    create_pod_and_wait(wc_cluster.core, namespace, toolbox_pod("dns-client", wc_cluster.toolbox_image))
    service_ip = wc_cluster.core.read_namespaced_service("kubernetes", "default").spec.cluster_ip
    records = resolve_a_records(
        wc_cluster.core, namespace, "dns-client", "kubernetes.default.svc.cluster.local"
    )
    assert records == [service_ip]


def test_pod_resolves_a_headless_service_pod_record(wc_cluster: ClusterUnderTest, namespace: str) -> None:
    wc_cluster.core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="members"),
            spec=client.V1ServiceSpec(cluster_ip="None", selector={"app": "member"}),
        ),
    )
    member = create_pod_and_wait(
        wc_cluster.core,
        namespace,
        toolbox_pod(
            "member", wc_cluster.toolbox_image, labels={"app": "member"}, hostname="m0", subdomain="members"
        ),
    )
    create_pod_and_wait(wc_cluster.core, namespace, toolbox_pod("dns-client", wc_cluster.toolbox_image))
    fqdn = f"m0.members.{namespace}.svc.cluster.local"

    def resolves() -> list[str]:
        records = resolve_a_records(wc_cluster.core, namespace, "dns-client", fqdn)
        if records != [member.status.pod_ip]:
            raise NotYet(f"{fqdn} -> {records}")
        return records

    wait_for(
        Probe(
            resolves,
            f"{fqdn} to resolve to {member.status.pod_ip}",
            timeout=60,
            subject=f"pod {namespace}/dns-client",
        )
    )
