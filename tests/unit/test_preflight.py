"""Preflight reads API objects into facts, and a test the cluster cannot host is skipped with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kubernetes import client

from clusters.addons import image_tag
from fixtures.facts.cluster_dns import DnsInfo, dns_info, pick_dns_service
from fixtures.facts.cni import detect_cni
from fixtures.facts.nodes import (
    NodeInfo,
    Taint,
    cgroup_driver_from_configz,
    cgroup_from_filesystem,
    cgroup_from_metrics,
    node_info,
)
from fixtures.facts.pod_security import pod_security_admission
from fixtures.facts.preflight import Preflight
from fixtures.facts.storage_classes import StorageClassInfo, storage_class_info
from fixtures.facts.unmet_requirements import dns_unmet, storage_unmet, workers_unmet

CONTROL_PLANE_TAINT = Taint("node-role.kubernetes.io/control-plane", "NoSchedule")


def node(name: str, **kwargs: object) -> NodeInfo:
    """A Linux node (its kubelet's kubernetes.io/os label), with the labels given on top."""
    labels = {"kubernetes.io/os": "linux", **kwargs.pop("labels", {})}  # type: ignore[dict-item]
    return NodeInfo(name=name, ready=kwargs.pop("ready", True), labels=labels, **kwargs)  # type: ignore[arg-type]


def control_plane(name: str = "kind-control-plane", tainted: bool = True) -> NodeInfo:
    return node(
        name,
        labels={"node-role.kubernetes.io/control-plane": ""},
        taints=(CONTROL_PLANE_TAINT,) if tainted else (),
    )


def preflight(**kwargs: object) -> Preflight:
    return Preflight(cluster="fake", server_version="v1.37.1", **kwargs)  # type: ignore[arg-type]


# --- unmet requirements--------------------------------------------------------------------------------


def test_one_node_cluster_cannot_host_a_three_worker_test() -> None:
    single = preflight(nodes=(control_plane(tainted=False),))
    assert workers_unmet(single, 3) == (
        "needs 3 schedulable worker nodes, the cluster has 1: kind-control-plane"
    )
    assert workers_unmet(single, 1) is None


def test_worker_count_leaves_out_tainted_cordoned_and_not_ready_nodes() -> None:
    cluster = preflight(
        nodes=(
            control_plane(),
            node("w1"),
            node("w2", unschedulable=True),
            node("w3", ready=False, not_ready_reason="KubeletNotReady"),
            node("w4", taints=(Taint("dedicated", "NoExecute", "db"),)),
            node("w5", taints=(Taint("soft", "PreferNoSchedule"),)),
        )
    )
    assert [n.name for n in cluster.schedulable_workers] == ["w1", "w5"]
    reason = workers_unmet(cluster, 3)
    assert reason == (
        "needs 3 schedulable worker nodes, the cluster has 2: w1, w5 (not schedulable: "
        "kind-control-plane tainted node-role.kubernetes.io/control-plane:NoSchedule; w2 cordoned; "
        "w3 NotReady (KubeletNotReady); w4 tainted dedicated=db:NoExecute)"
    )


def test_no_schedulable_node_says_none() -> None:
    assert workers_unmet(preflight(), 1) == "needs 1 schedulable worker nodes, the cluster has 0: none"


def test_no_default_storage_class_names_the_classes_found() -> None:
    cluster = preflight(storage_classes=(StorageClassInfo("manual", "kubernetes.io/no-provisioner"),))
    assert storage_unmet(cluster) == (
        "no default StorageClass: found manual (kubernetes.io/no-provisioner), "
        "none annotated storageclass.kubernetes.io/is-default-class=true"
    )
    assert storage_unmet(preflight()) == "no default StorageClass: the cluster has no StorageClass at all"


def test_a_default_storage_class_lets_storage_tests_run() -> None:
    cluster = preflight(
        storage_classes=(StorageClassInfo("standard", "rancher.io/local-path", default=True),)
    )
    assert storage_unmet(cluster) is None


def test_of_several_default_classes_the_newest_is_the_default() -> None:
    cluster = preflight(
        storage_classes=(
            StorageClassInfo("old", "a", default=True, created="2025-01-01T00:00:00+00:00"),
            StorageClassInfo("new", "b", default=True, created="2026-01-01T00:00:00+00:00"),
        )
    )
    assert cluster.default_storage_class is not None
    assert cluster.default_storage_class.name == "new"


def test_dns_tests_are_not_verified_without_a_dns_service_naming_a_failed_read() -> None:
    missing = preflight(dns=DnsInfo(None, found_instead=("metrics-server",)))
    assert dns_unmet(missing) == (
        "no cluster DNS: no Service labelled k8s-app=kube-dns and no Service kube-system/kube-dns "
        "(Services in kube-system: metrics-server)"
    )
    forbidden = preflight(
        dns=DnsInfo(None),
        problems=("Services labelled k8s-app=kube-dns: 403 Forbidden: services is forbidden",),
    )
    assert dns_unmet(forbidden).endswith(
        "(reading Services labelled k8s-app=kube-dns: 403 Forbidden: services is forbidden)"
    )
    present = preflight(dns=DnsInfo("kube-system/kube-dns", "10.96.0.10", ready_endpoints=()))
    assert dns_unmet(present) is None  # no ready endpoint: the DNS tests run, and fail saying so


# --- facts ------------------------------------------------------------------------------------------


def test_facts_have_every_key_the_reports_know() -> None:
    cluster = preflight(
        nodes=(control_plane(), node("w1", container_runtime="containerd://2.3.4")),
        storage_classes=(StorageClassInfo("standard", "rancher.io/local-path", default=True),),
        cni="kindnet 0.1.0",
        cgroup_version="v2",
        kind_version="v0.33.0",
        node_image="kindest/node:v1.37.1",
    )
    facts = cluster.facts()
    assert facts["kubernetes_version"] == "v1.37.1"
    assert facts["nodes"] == "2 (1 control-plane, 1 schedulable workers), all Ready"
    assert facts["container_runtime"] == "containerd://2.3.4"
    assert facts["cni"] == "kindnet 0.1.0"
    assert (facts["default_storage_class"], facts["storage_provisioner"]) == (
        "standard",
        "rancher.io/local-path",
    )
    assert (facts["kind_version"], facts["node_image"], facts["cgroup_version"]) == (
        "v0.33.0",
        "kindest/node:v1.37.1",
        "v2",
    )
    assert "\n" not in cluster.summary_line()


def test_summary_line_names_what_could_not_be_read() -> None:
    line = preflight(problems=("StorageClasses: 403 Forbidden",)).summary_line()
    assert line.startswith("preflight: fake Kubernetes v1.37.1; nodes 0 (")
    assert line.endswith("not read: StorageClasses: 403 Forbidden")


# --- reading API objects ----------------------------------------------------------------------------


def test_node_info_reads_readiness_taints_and_runtime() -> None:
    v1node = client.V1Node(
        metadata=client.V1ObjectMeta(
            name="w1", labels={"node-role.kubernetes.io/worker": "", "kubernetes.io/os": "linux"}
        ),
        spec=client.V1NodeSpec(
            unschedulable=True, taints=[client.V1Taint(key="k", value="v", effect="NoSchedule")]
        ),
        status=client.V1NodeStatus(
            conditions=[client.V1NodeCondition(type="Ready", status="False", reason="KubeletNotReady")],
            node_info=client.V1NodeSystemInfo(
                architecture="amd64",
                boot_id="",
                container_runtime_version="containerd://2.3.4",
                kernel_version="",
                kube_proxy_version="",
                kubelet_version="v1.37.1",
                machine_id="",
                operating_system="linux",
                os_image="",
                system_uuid="",
            ),
        ),
    )
    info = node_info(v1node)
    assert (info.name, info.ready, info.unschedulable, info.roles) == ("w1", False, True, ("worker",))
    assert [str(t) for t in info.taints] == ["k=v:NoSchedule"]
    assert info.container_runtime == "containerd://2.3.4"
    assert info.why_unschedulable() == "NotReady (KubeletNotReady), cordoned, tainted k=v:NoSchedule"


def test_storage_class_default_annotation_is_read() -> None:
    storage_class = client.V1StorageClass(
        metadata=client.V1ObjectMeta(
            name="standard",
            annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            creation_timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        ),
        provisioner="rancher.io/local-path",
        volume_binding_mode="WaitForFirstConsumer",
    )
    assert storage_class_info(storage_class) == StorageClassInfo(
        "standard", "rancher.io/local-path", True, "WaitForFirstConsumer", "2026-01-01T00:00:00+00:00"
    )


def daemonset(name: str, image: str, labels: dict[str, str] | None = None) -> client.V1DaemonSet:
    return client.V1DaemonSet(
        metadata=client.V1ObjectMeta(name=name, namespace="kube-system", labels=labels),
        spec=client.V1DaemonSetSpec(
            selector=client.V1LabelSelector(),
            template=client.V1PodTemplateSpec(
                spec=client.V1PodSpec(containers=[client.V1Container(name="main", image=image)])
            ),
        ),
    )


@pytest.mark.parametrize(
    ("daemonsets", "expected"),
    [
        (
            [daemonset("kindnet", "docker.io/kindest/kindnetd:v20250512-df8de77b")],
            "kindnet v20250512-df8de77b",
        ),
        ([daemonset("calico-node", "docker.io/calico/node:v3.28.0")], "calico v3.28.0"),
        ([daemonset("cilium", "quay.io/cilium/cilium:v1.16.1@sha256:0123456789abcdef")], "cilium v1.16.1"),
        ([daemonset("kube-flannel-ds", "ghcr.io/flannel-io/flannel:v0.25.5")], "flannel v0.25.5"),
        (
            [daemonset("anything", "registry:5000/net/weave-kube:2.8.1", {"k8s-app": "weave-net"})],
            "weave 2.8.1",
        ),
        ([daemonset("kube-proxy", "registry.k8s.io/kube-proxy:v1.37.1")], "unknown"),
        (
            [
                daemonset("kube-multus-ds", "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.0"),
                daemonset("calico-node", "calico/node:v3"),
            ],
            "calico v3 + multus v4.0",
        ),
    ],
)
def test_cni_is_detected_from_its_daemonset_with_the_image_tag(
    daemonsets: list[client.V1DaemonSet], expected: str
) -> None:
    assert detect_cni(daemonsets) == expected


def test_image_tag_handles_registry_ports_and_digests() -> None:
    assert image_tag("localhost:5000/kindnetd") == "latest"
    assert image_tag("localhost:5000/kindnetd:0.1.0") == "0.1.0"
    assert image_tag("repo/x@sha256:abcdef0123456789abcdef") == "sha256:abcdef012345"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["kube-apiserver", "--enable-admission-plugins=NodeRestriction"], "enabled"),
        (
            ["kube-apiserver", "--disable-admission-plugins=PodSecurity,Foo"],
            "disabled (--disable-admission-plugins)",
        ),
        (
            ["kube-apiserver", "--admission-control-config-file=/etc/psa.yaml"],
            "enabled (configured by /etc/psa.yaml)",
        ),
        (None, "unknown (kube-apiserver pod not visible)"),
    ],
)
def test_pod_security_admission_from_the_api_server_flags(command: list[str] | None, expected: str) -> None:
    assert pod_security_admission(command) == expected


def test_cgroup_version_from_kubelet_metrics_or_the_filesystem() -> None:
    metrics = (
        "# HELP kubelet_cgroup_version x\n# TYPE kubelet_cgroup_version gauge\nkubelet_cgroup_version 2\n"
    )
    assert cgroup_from_metrics(metrics) == "v2"
    assert cgroup_from_metrics("other_metric 1\n") is None
    assert cgroup_from_filesystem("cgroup2fs\n") == "v2"
    assert cgroup_from_filesystem("tmpfs") == "v1"
    assert cgroup_from_filesystem("ext4") is None


def test_cgroup_driver_from_the_kubelet_configz() -> None:
    configz = '{"kubeletconfig":{"staticPodPath":"/etc/kubernetes/manifests","cgroupDriver": "systemd"}}'
    assert cgroup_driver_from_configz(configz) == "systemd"
    assert cgroup_driver_from_configz('{"kubeletconfig":{}}') is None


def test_dns_endpoints_ready_and_not_ready() -> None:
    service = client.V1Service(
        metadata=client.V1ObjectMeta(name="kube-dns", namespace="kube-system"),
        spec=client.V1ServiceSpec(cluster_ip="10.96.0.10"),
    )
    endpoint_slice = client.V1EndpointSlice(
        address_type="IPv4",
        endpoints=[
            client.V1Endpoint(addresses=["10.244.0.2"], conditions=client.V1EndpointConditions(ready=True)),
            client.V1Endpoint(addresses=["10.244.0.3"], conditions=client.V1EndpointConditions(ready=False)),
            client.V1Endpoint(addresses=["10.244.0.4"]),  # no conditions: unknown, counted as ready
        ],
    )
    info = dns_info(service, [endpoint_slice])
    assert info.describe() == "kube-system/kube-dns 10.96.0.10, 2/3 endpoints ready"
    assert dns_info(None, [], ["metrics-server"]).found_instead == ("metrics-server",)


def test_an_unknown_cni_is_found_by_the_cni_config_folder_it_mounts() -> None:
    writer = daemonset("my-net-agent", "example.org/my-net:1.4.2")
    writer.spec.template.spec.volumes = [
        client.V1Volume(name="cni", host_path=client.V1HostPathVolumeSource(path="/etc/cni/net.d/"))
    ]
    bystander = daemonset("log-shipper", "example.org/logs:2")
    assert detect_cni([bystander, writer]) == "my-net-agent 1.4.2"


def test_the_dns_service_is_found_by_its_label_under_any_name() -> None:
    def service(namespace: str, name: str) -> client.V1Service:
        return client.V1Service(metadata=client.V1ObjectMeta(namespace=namespace, name=name))

    renamed = service("dns-system", "coredns")
    assert pick_dns_service([renamed], [service("kube-system", "metrics-server")]) is renamed
    both = [service("other", "dns"), service("kube-system", "rke2-coredns")]
    assert pick_dns_service(both, []).metadata.name == "rke2-coredns"
    by_name = service("kube-system", "kube-dns")
    assert pick_dns_service([], [by_name]) is by_name
    assert pick_dns_service([], [service("kube-system", "metrics-server")]) is None
