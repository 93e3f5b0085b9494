"""The DNS guarantees MUST hold on a conformant cluster laid out as a distribution may lay it out: cluster
domain cluster.example (not cluster.local) and the DNS Service named kube-system/coredns (not kube-dns),
run through --wc-provider existing as a certifier would. Nothing may be assumed, so nothing may fail or
be left unverified there.

The test brings up (and deletes, also on failure) a 1 control-plane + 2 worker kind cluster of its own,
before this run's shared cluster exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from breakers.cluster_dns import DNS_NAMESPACE, DNS_SERVICE, dns_service_renamed
from kubernetes import client
from kubernetes.client.rest import ApiException

from clusters.cluster import Cluster
from clusters.kube.connect import connect
from clusters.progress import Progress
from clusters.toolchain import resolve
from clusters.topology import TOPOLOGY_DIR
from fixtures.plugin.keys import options_key

pytestmark = [pytest.mark.own_cluster, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_NAME = "wc-custom-domain"
TOPOLOGY = TOPOLOGY_DIR / "custom-domain.yaml"
DOMAIN = "cluster.example"
RENAMED = "coredns"
DNS_GUARANTEES = ["conformance/dns/", "conformance/statefulset/test_members_reach_each_other_by_dns_name.py"]


@pytest.fixture
def distro_cluster(pytestconfig: pytest.Config) -> Iterator[Cluster]:
    """The kind cluster of clusters/topologies/custom-domain.yaml, with its DNS Service renamed;
    deleted afterwards whatever happened."""
    progress = Progress()
    cluster = Cluster(CLUSTER_NAME, resolve(pytestconfig.stash[options_key].toolchain, progress))
    try:
        if cluster.exists():  # left behind by an interrupted run
            cluster.delete(progress)
        cluster.create(TOPOLOGY, progress)
        api = connect(cluster.kubeconfig)
        try:
            dns_service_renamed(api, RENAMED)
        finally:
            api.close()
        yield cluster
    finally:
        cluster.delete(progress)


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
    distro_cluster: Cluster, tmp_path: Path
) -> None:
    assert_laid_out_as_a_distribution(distro_cluster.kubeconfig)
    report = tmp_path / "report"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *DNS_GUARANTEES,
            "-p",
            "no:cacheprovider",
            "--wc-report-dir",
            str(report),
            "--wc-provider",
            "existing",
            "--wc-kubeconfig",
            str(distro_cluster.kubeconfig),
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1800,
        check=False,
    )
    print(done.stdout)
    summary = json.loads((report / "summary.json").read_text())
    outcomes = {g["id"]: g["verdict"] for g in summary["guarantees"]}
    assert len(outcomes) >= 5 and set(outcomes.values()) == {"passed"}, outcomes
    assert done.returncode == 0, done.stdout[-3000:]
    assert (
        done.stdout.rstrip().splitlines()[-1]
        == f"CONFORMANT: {len(outcomes)} of {len(outcomes)} selected guarantees hold"
    )
    assert summary["facts"]["cluster_dns"].startswith(f"{DNS_NAMESPACE}/{RENAMED} "), summary["facts"]
    # the guarantees looked names up under the domain they read from the pods, not cluster.local
    steps = json.dumps([g["steps"] for g in summary["guarantees"]])
    assert f".svc.{DOMAIN}." in steps and ".svc.cluster.local" not in steps, steps[:2000]
