"""Every pod the suite makes runs where Pod Security enforces restricted, only on the nodes the suite runs on
(Linux, not virtual kubelets), and those nodes are the only ones counted as workers."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.facts.nodes import NodeInfo, Taint
from fixtures.facts.preflight import Preflight
from fixtures.facts.toolbox import check_pod
from fixtures.plugin.pod_security import pod_security_of
from fixtures.resources.daemonsets import daemonset_manifest
from fixtures.resources.dns import dns_client_pod
from fixtures.resources.eligibility import expected_node_names
from fixtures.resources.nodes import on_suite_nodes, why_suite_cannot_run_on
from fixtures.resources.pod_network import EVERY_TAINT, PROBE_PORT
from fixtures.resources.pods import NON_ROOT_UID, toolbox_pod
from fixtures.resources.statefulset_manifests import statefulset_manifest

IMAGE = "localhost/workload-conformance/toolbox:test"
VK_TAINT = client.V1Taint(key="virtual-kubelet.io/provider", value="azure", effect="NoSchedule")


def restricted_violations(spec: client.V1PodSpec) -> list[str]:
    """What Pod Security's restricted level (v1.37) refuses in this pod spec, in words; [] when admitted."""
    found = []
    pod = spec.security_context or client.V1PodSecurityContext()
    if spec.host_network or spec.host_pid or spec.host_ipc:
        found.append("host namespaces")
    if any(v.host_path for v in spec.volumes or []):
        found.append("hostPath volume")
    if pod.seccomp_profile is None or pod.seccomp_profile.type not in ("RuntimeDefault", "Localhost"):
        found.append("pod seccompProfile")
    for container in spec.containers:
        own = container.security_context or client.V1SecurityContext()
        if not (own.run_as_non_root or (own.run_as_non_root is None and pod.run_as_non_root)):
            found.append(f"{container.name}: runAsNonRoot")
        if (own.run_as_user if own.run_as_user is not None else pod.run_as_user) == 0:
            found.append(f"{container.name}: runAsUser 0")
        if own.allow_privilege_escalation is not False:
            found.append(f"{container.name}: allowPrivilegeEscalation")
        if own.privileged:
            found.append(f"{container.name}: privileged")
        caps = own.capabilities or client.V1Capabilities()
        if "ALL" not in (caps.drop or []) or set(caps.add or []) - {"NET_BIND_SERVICE"}:
            found.append(f"{container.name}: capabilities")
        if any(p.host_port for p in container.ports or []):
            found.append(f"{container.name}: hostPort")
    return found


def every_pod_spec() -> dict[str, client.V1PodSpec]:
    return {
        "toolbox pod": toolbox_pod("p", IMAGE, volumes={"/data": "data"}),
        "DNS client pod": dns_client_pod("dns-probe", IMAGE),
        "toolbox check pod": check_pod(IMAGE),
        "DaemonSet": daemonset_manifest("agent", IMAGE).spec.template,
        "probe DaemonSet": daemonset_manifest(
            "probe", IMAGE, tolerations=[EVERY_TAINT], listen_port=PROBE_PORT
        ).spec.template,
        "StatefulSet": statefulset_manifest(
            "web", IMAGE, volume_claim="data", listen_port=PROBE_PORT
        ).spec.template,
    }


def test_every_pod_the_suite_makes_is_admitted_by_pod_security_restricted() -> None:
    specs = {what: made.spec for what, made in every_pod_spec().items()}
    assert specs and {what: restricted_violations(spec) for what, spec in specs.items()} == {
        what: [] for what in specs
    }
    for spec in specs.values():
        context = spec.security_context
        assert context.run_as_user == context.run_as_group == context.fs_group == NON_ROOT_UID != 0
        assert all(p.container_port >= 1024 for c in spec.containers for p in c.ports or [])


def test_the_checker_sees_what_restricted_refuses() -> None:
    spec = toolbox_pod("p", IMAGE).spec
    spec.host_network = True
    spec.containers[0].security_context.capabilities = client.V1Capabilities(add=["NET_ADMIN"], drop=["ALL"])
    spec.security_context.run_as_non_root = None
    assert restricted_violations(spec) == ["host namespaces", "main: runAsNonRoot", "main: capabilities"]


def test_every_pod_selects_linux_nodes_beside_its_own_selector() -> None:
    for what, made in every_pod_spec().items():
        assert made.spec.node_selector.get("kubernetes.io/os") == "linux", what
    scoped = daemonset_manifest("agent", IMAGE, node_selector={"pool": "edge"})
    assert scoped.spec.template.spec.node_selector == {"pool": "edge", "kubernetes.io/os": "linux"}


def node(name: str, labels: dict[str, str], taints: list[client.V1Taint] | None = None) -> client.V1Node:
    return client.V1Node(
        metadata=client.V1ObjectMeta(name=name, labels=labels), spec=client.V1NodeSpec(taints=taints)
    )


LINUX = {"kubernetes.io/os": "linux"}
NODES = [
    node("linux", LINUX),
    node("cp", LINUX, [client.V1Taint(key="node-role.kubernetes.io/control-plane", effect="NoSchedule")]),
    node("win", {"kubernetes.io/os": "windows"}),
    node("vk", {**LINUX, "type": "virtual-kubelet"}, [VK_TAINT]),
]


def test_a_probe_that_tolerates_every_taint_covers_linux_nodes_but_no_virtual_kubelet_or_windows_node() -> (
    None
):
    probe = daemonset_manifest("probe", IMAGE, tolerations=[EVERY_TAINT]).spec.template.spec
    assert expected_node_names(NODES, probe) == {"linux", "cp"}
    plain = daemonset_manifest("agent", IMAGE).spec.template.spec
    assert plain.affinity is None  # the virtual kubelet's own taint keeps it off
    assert expected_node_names(NODES, plain) == {"linux"}


def test_the_virtual_kubelet_exclusion_is_anded_into_each_term_of_a_given_affinity() -> None:
    edge = client.V1NodeSelectorRequirement(key="pool", operator="In", values=["edge"])
    required = client.V1NodeSelector(
        node_selector_terms=[client.V1NodeSelectorTerm(match_expressions=[edge])]
    )
    given = client.V1Affinity(
        node_affinity=client.V1NodeAffinity(required_during_scheduling_ignored_during_execution=required)
    )
    spec = on_suite_nodes(client.V1PodSpec(containers=[], affinity=given, tolerations=[EVERY_TAINT]))
    terms = (
        spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms
    )
    assert [[(e.key, e.operator, e.values) for e in t.match_expressions] for t in terms] == [
        [("pool", "In", ["edge"]), ("type", "NotIn", ["virtual-kubelet"])]
    ]
    untouched = given.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms
    assert len(untouched[0].match_expressions) == 1  # the caller's object is left as it was
    on_edge = [
        node("e", {**LINUX, "pool": "edge"}),
        node("v", {**LINUX, "pool": "edge", "type": "virtual-kubelet"}),
    ]
    assert expected_node_names(on_edge, spec) == {"e"}


def test_why_the_suite_cannot_run_on_a_node() -> None:
    assert why_suite_cannot_run_on(LINUX) == ""
    assert why_suite_cannot_run_on({"kubernetes.io/os": "windows"}) == "kubernetes.io/os=windows"
    assert why_suite_cannot_run_on({}) == "no kubernetes.io/os label"
    assert why_suite_cannot_run_on({**LINUX, "type": "virtual-kubelet"}, ["virtual-kubelet.io/provider"]) == (
        "virtual kubelet (type=virtual-kubelet, virtual-kubelet.io/provider)"
    )
    assert why_suite_cannot_run_on(LINUX, ["virtual-kubelet.io/provider"]) == (
        "virtual kubelet (virtual-kubelet.io/provider)"
    )


def test_workers_are_the_schedulable_linux_nodes_and_the_preflight_says_why_others_are_out() -> None:
    nodes = (
        NodeInfo("solo", ready=True, labels={**LINUX, "node-role.kubernetes.io/control-plane": ""}),
        NodeInfo("win", ready=True, labels={"kubernetes.io/os": "windows"}),
        NodeInfo(
            "vk",
            ready=True,
            labels={**LINUX, "type": "virtual-kubelet"},
            taints=(Taint("virtual-kubelet.io/provider", "NoSchedule", "azure"),),
        ),
    )
    preflight = Preflight(cluster="c", server_version="v1.37.1", nodes=nodes)
    assert [n.name for n in preflight.schedulable_workers] == ["solo"]
    line = preflight.summary_line()
    assert "nodes 3 (1 control-plane, 1 schedulable workers), all Ready [" in line
    assert "win not for this suite: kubernetes.io/os=windows" in line
    assert (
        "vk not for this suite: virtual kubelet (type=virtual-kubelet, virtual-kubelet.io/provider), "
        "tainted virtual-kubelet.io/provider=azure:NoSchedule" in line
    )


class Marked:
    """A test item carrying one pod_security marker (or none)."""

    nodeid = "conformance/x.py::test_x"

    def __init__(self, mark: pytest.MarkDecorator | None) -> None:
        self.mark = mark.mark if mark is not None else None

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return self.mark if self.mark is not None and self.mark.name == name else None


def test_a_namespace_is_restricted_unless_the_pod_security_marker_asks_for_more_and_says_why() -> None:
    assert pod_security_of(Marked(None)) == ("restricted", "")
    why = "hostNetwork: baseline forbids it"
    assert pod_security_of(Marked(pytest.mark.pod_security("privileged", why))) == ("privileged", why)
    assert pod_security_of(Marked(pytest.mark.pod_security(level="baseline", reason=why))) == (
        "baseline",
        why,
    )
    for wrong in (pytest.mark.pod_security("privileged"), pytest.mark.pod_security("root", why)):
        with pytest.raises(pytest.fail.Exception, match=r"use @pytest.mark.pod_security\(level, reason\)"):
            pod_security_of(Marked(wrong))
