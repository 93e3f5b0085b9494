"""The whole suite MUST run on a cluster laid out as a small distribution may lay it out, every difference
at once:

- one node that is control plane and worker (no control-plane taint), as k3s or a compact OpenShift;
- Pod Security admission enforcing restricted on every namespace that does not say otherwise (an
  AdmissionConfiguration, as k3s/RKE2 and hardened clusters ship; kube-system and local-path-storage
  exempt, as there);
- the cluster domain cluster.example, not cluster.local (kubeadm's DNS domain, which CoreDNS serves, and
  the kubelet's, which it writes into every pod's search path), and the DNS Service named
  kube-system/coredns, not kube-dns.

Run through --wc-provider existing as a certifier would: every guarantee holds or is not verified for a
reason true of one node (a second node's coverage, a node to add); none is broken, and none is stopped
by Pod Security: the guarantees whose pods need the host network or a host port label their namespace
privileged and hold. Every DNS guarantee holds, its lookups under the domain read from the pods.

The test brings up (and deletes, also on failure) the one-node kind cluster, before this run's shared
cluster exists. One cluster for the three differences, not one each: the whole suite on one node takes
a quarter of a CI run, and a 1 + 2 cluster for the domain alone took another 2.5 minutes."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from breakers.cluster_dns import DNS_NAMESPACE, DNS_SERVICE, dns_service_renamed
from kubernetes import client
from kubernetes.client.rest import ApiException

from clusters.cluster import Cluster
from clusters.kube.connect import connect
from fixtures.plugin.concurrency import WORKERS_ENV

pytestmark = [pytest.mark.own_cluster(nodes=1), pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_NAME = "wc-distro-solo"
DOMAIN = "cluster.example"
RENAMED_DNS_SERVICE = "coredns"
DNS_GUARANTEES = ("conformance/dns/", "conformance/statefulset/test_members_reach_each_other_by_dns_name.py")
IN_NODE = "/etc/kubernetes/wc-admission"  # where the node container and the API server see the file
ADMISSION = {
    "apiVersion": "apiserver.config.k8s.io/v1",
    "kind": "AdmissionConfiguration",
    "plugins": [
        {
            "name": "PodSecurity",
            "configuration": {
                "apiVersion": "pod-security.admission.config.k8s.io/v1",
                "kind": "PodSecurityConfiguration",
                "defaults": {
                    "enforce": "restricted",
                    "enforce-version": "latest",
                    "warn": "restricted",
                    "warn-version": "latest",
                },
                "exemptions": {"namespaces": ["kube-system", "local-path-storage"]},
            },
        }
    ],
}
# Why a guarantee may be not verified on one node: each a fact of this cluster, not a defect of the suite.
ONE_NODE_REASONS = (
    r"needs \d+ schedulable Linux worker\(s\) without NoSchedule/NoExecute taints, found 1",
    r"needs \d+ schedulable worker nodes, the cluster has 1",
    r"no way to add and remove a node: this cluster was not brought up by this suite with kind",
    r"no node carries node-role\.kubernetes\.io/control-plane:NoSchedule",
    r"1 eligible node\(s\)",
    r"no schedulable worker outside the nodes the volume allows",
    r"there is no pair of nodes to check",
)
PRIVILEGED_GUARANTEES = (
    "test_every_daemon_pod_carries_the_controllers_tolerations[hostNetwork]",
    "test_a_pod_its_kubelet_rejects_is_recreated_under_its_name",
)


def topology(admission_dir: Path) -> dict:
    """One control-plane node (kind removes the control-plane taint of a cluster without workers), its API
    server reading the admission configuration from admission_dir (mounted into the node, then into the
    API server's static pod), its cluster domain DOMAIN."""
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "kubeadmConfigPatches": [
            yaml.safe_dump(
                {
                    "kind": "ClusterConfiguration",
                    "networking": {"dnsDomain": DOMAIN},
                    "apiServer": {
                        "extraArgs": {"admission-control-config-file": f"{IN_NODE}/admission.yaml"},
                        "extraVolumes": [
                            {
                                "name": "wc-admission",
                                "hostPath": IN_NODE,
                                "mountPath": IN_NODE,
                                "readOnly": True,
                                "pathType": "Directory",
                            }
                        ],
                    },
                }
            ),
            yaml.safe_dump({"kind": "KubeletConfiguration", "clusterDomain": DOMAIN}),
        ],
        "nodes": [
            {
                "role": "control-plane",
                "extraMounts": [{"hostPath": str(admission_dir), "containerPath": IN_NODE, "readOnly": True}],
            }
        ],
    }


@pytest.fixture
def distro_solo_cluster(own_clusters, tmp_path: Path) -> Iterator[Cluster]:
    """The one-node cluster enforcing restricted by default, its DNS Service renamed; deleted afterwards
    whatever happened."""
    admission_dir = tmp_path / "admission"
    admission_dir.mkdir()
    (admission_dir / "admission.yaml").write_text(yaml.safe_dump(ADMISSION, sort_keys=False))
    config = tmp_path / "distro-solo.yaml"
    config.write_text(yaml.safe_dump(topology(admission_dir), sort_keys=False))
    with own_clusters.up(CLUSTER_NAME, config) as cluster:
        api = connect(cluster.kubeconfig)
        try:
            dns_service_renamed(api, RENAMED_DNS_SERVICE)
        finally:
            api.close()
        yield cluster


def assert_laid_out_as_a_distribution(kubeconfig: Path) -> None:
    """The cluster really differs: one untainted control plane; a namespace with no Pod Security label
    refuses a pod that restricted forbids (a root pod with no securityContext); no kube-system/kube-dns
    but a coredns Service labelled as the DNS, CoreDNS serving DOMAIN."""
    api = connect(kubeconfig)
    try:
        core = client.CoreV1Api(api)
        with pytest.raises(ApiException) as missing:
            core.read_namespaced_service(DNS_SERVICE, DNS_NAMESPACE)
        assert missing.value.status == 404
        renamed = core.read_namespaced_service(RENAMED_DNS_SERVICE, DNS_NAMESPACE)
        assert renamed.metadata.labels.get("k8s-app") == "kube-dns", renamed.metadata.labels
        corefile = core.read_namespaced_config_map("coredns", DNS_NAMESPACE).data["Corefile"]
        assert f"kubernetes {DOMAIN} " in corefile, corefile
        (node,) = core.list_node().items
        assert "node-role.kubernetes.io/control-plane" in node.metadata.labels, node.metadata.labels
        blocking = [t for t in node.spec.taints or [] if t.effect in ("NoSchedule", "NoExecute")]
        assert not blocking, blocking
        name = "wc-unlabelled-check"
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        try:
            root = client.V1Pod(
                metadata=client.V1ObjectMeta(name="root"),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="pause")]),
            )
            with pytest.raises(ApiException) as refused:
                core.create_namespaced_pod(name, root, dry_run="All")
            said = json.loads(refused.value.body)["message"]
            assert refused.value.status == 403 and 'violates PodSecurity "restricted:latest"' in said, said
        finally:
            core.delete_namespace(name)
    finally:
        api.close()


def test_every_guarantee_holds_or_is_not_verified_for_want_of_nodes_on_a_distribution_like_node(
    distro_solo_cluster: Cluster, own_clusters, tmp_path: Path
) -> None:
    assert_laid_out_as_a_distribution(distro_solo_cluster.kubeconfig)
    done = own_clusters.run_suite(
        ["conformance"],
        distro_solo_cluster.kubeconfig,
        tmp_path / "report",
        env={k: v for k, v in os.environ.items() if k != WORKERS_ENV},  # the default concurrency
        timeout=5400,
    )
    summary = done.summary
    # optional guarantees (an alpha feature gate) are outside the verdict: judged, never broken here
    optional = {g["id"]: g["judgement"] for g in summary["guarantees"] if g.get("optional")}
    assert "broken" not in optional.values(), optional
    guarantees = {g["id"]: g for g in summary["guarantees"] if not g.get("optional")}
    assert len(guarantees) >= 40, sorted(guarantees)
    broken = {nodeid: g["reason"] for nodeid, g in guarantees.items() if g["judgement"] == "broken"}
    assert not broken, json.dumps(broken, indent=1)[:4000]
    unverified = {nodeid: g["reason"] for nodeid, g in guarantees.items() if g["judgement"] == "not verified"}
    not_for_one_node = {
        nodeid: reason
        for nodeid, reason in unverified.items()
        if not any(re.search(pattern, reason or "") for pattern in ONE_NODE_REASONS)
    }
    assert not not_for_one_node, json.dumps(not_for_one_node, indent=1)[:4000]
    holding = [nodeid for nodeid, g in guarantees.items() if g["judgement"] == "holds"]
    assert len(holding) >= 25, f"{len(holding)} hold; not verified: {json.dumps(unverified, indent=1)}"
    for name in PRIVILEGED_GUARANTEES:
        (nodeid,) = [nodeid for nodeid in guarantees if nodeid.endswith(f"::{name}")]
        assert guarantees[nodeid]["judgement"] == "holds", guarantees[nodeid]["reason"]
        first = guarantees[nodeid]["steps"][0]["title"]
        assert first.startswith("arrange: a namespace labelled Pod Security privileged: "), first
    assert "PodSecurity" not in json.dumps(unverified), unverified
    dns = {nodeid: g for nodeid, g in guarantees.items() if nodeid.startswith(DNS_GUARANTEES)}
    assert len(dns) >= 5, sorted(dns)
    dns_not_holding = {nodeid: g["reason"] for nodeid, g in dns.items() if g["judgement"] != "holds"}
    assert not dns_not_holding, json.dumps(dns_not_holding, indent=1)
    # the DNS guarantees looked names up under the domain they read from the pods, not cluster.local
    steps = json.dumps([g["steps"] for g in dns.values()])
    assert f".svc.{DOMAIN}." in steps and ".svc.cluster.local" not in steps, steps[:2000]
    facts = summary["facts"]
    assert facts["cluster_dns"].startswith(f"{DNS_NAMESPACE}/{RENAMED_DNS_SERVICE} "), facts
    assert facts["nodes"].startswith("1 (1 control-plane, 1 schedulable workers), all Ready"), facts
    assert facts["pod_security"].startswith("admission enabled (configured by "), facts
    last = done.output.rstrip().splitlines()[-1]
    assert (
        last.startswith(f"NOT CONFORMANT: {len(unverified)} not verified")
        if unverified
        else last.startswith("CONFORMANT")
    ), last
