"""The DNS guarantees MUST hold on a conformant cluster laid out as a distribution may lay it out: cluster
domain cluster.example (not cluster.local) and the DNS Service named kube-system/coredns (not kube-dns),
run through --wc-provider existing as a certifier would. Nothing may be assumed, so nothing may fail or
be left unverified there.

The test brings up (and deletes, also on failure) a 1 control-plane + 2 worker kind cluster of its own,
beside this run's shared cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from breakers.cluster_dns import DNS_NAMESPACE, DNS_SERVICE, dns_service_renamed
from kubernetes import client
from kubernetes.client.rest import ApiException

from clusters.cluster import Cluster
from clusters.kube.connect import connect
from clusters.topology import TOPOLOGY_DIR

pytestmark = [pytest.mark.own_cluster, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_NAME = "wc-custom-domain"
TOPOLOGY = TOPOLOGY_DIR / "custom-domain.yaml"
DOMAIN = "cluster.example"
RENAMED = "coredns"
DNS_GUARANTEES = ["conformance/dns/", "conformance/statefulset/test_members_reach_each_other_by_dns_name.py"]


@pytest.fixture
def distro_cluster(own_clusters) -> Iterator[Cluster]:
    """The kind cluster of clusters/topologies/custom-domain.yaml, with its DNS Service renamed;
    deleted afterwards whatever happened."""
    with own_clusters.up(CLUSTER_NAME, TOPOLOGY) as cluster:
        api = connect(cluster.kubeconfig)
        try:
            dns_service_renamed(api, RENAMED)
        finally:
            api.close()
        yield cluster


def assert_laid_out_as_a_distribution(kubeconfig: Path) -> None:
    """The cluster really differs: no kube-system/kube-dns, a labelled coredns, CoreDNS serving DOMAIN."""
    api = connect(kubeconfig)
    try:
        core = client.CoreV1Api(api)
        with pytest.raises(ApiException) as missing:
            core.read_namespaced_service(DNS_SERVICE, DNS_NAMESPACE)
        assert missing.value.status == 404
        renamed = core.read_namespaced_service(RENAMED, DNS_NAMESPACE)
        assert renamed.metadata.labels.get("k8s-app") == "kube-dns", renamed.metadata.labels
        corefile = core.read_namespaced_config_map("coredns", DNS_NAMESPACE).data["Corefile"]
        assert f"kubernetes {DOMAIN} " in corefile, corefile
    finally:
        api.close()


def test_dns_guarantees_hold_with_cluster_domain_cluster_example_and_dns_service_coredns(
    distro_cluster: Cluster, own_clusters, tmp_path: Path
) -> None:
    assert_laid_out_as_a_distribution(distro_cluster.kubeconfig)
    done = own_clusters.run_suite(DNS_GUARANTEES, distro_cluster.kubeconfig, tmp_path / "report")
    summary = done.summary
    outcomes = {g["id"]: g["verdict"] for g in summary["guarantees"]}
    assert len(outcomes) >= 5 and set(outcomes.values()) == {"passed"}, outcomes
    assert done.returncode == 0, done.output[-3000:]
    assert (
        done.output.rstrip().splitlines()[-1]
        == f"CONFORMANT: {len(outcomes)} of {len(outcomes)} selected guarantees hold"
    )
    assert summary["facts"]["cluster_dns"].startswith(f"{DNS_NAMESPACE}/{RENAMED} "), summary["facts"]
    # the guarantees looked names up under the domain they read from the pods, not cluster.local
    steps = json.dumps([g["steps"] for g in summary["guarantees"]])
    assert f".svc.{DOMAIN}." in steps and ".svc.cluster.local" not in steps, steps[:2000]
