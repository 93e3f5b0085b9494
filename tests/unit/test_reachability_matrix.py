"""Reachability checks read the probe's lines, name every failing (source -> target) pair with why it
failed, and the probe pods listen where the checks dial."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.resources.daemonsets import daemonset_manifest
from fixtures.resources.pod_network import (
    CONNECT,
    EXEC,
    REACH_SCRIPT,
    RESOLVE,
    FailedPair,
    Outcome,
    ProbePod,
    Target,
    all_pairs,
    describe_failures,
    failed_pairs,
    parse_outcomes,
    peer_targets,
    reach_argv,
)
from fixtures.resources.statefulset_manifests import statefulset_manifest

IMAGE = "localhost/workload-conformance/toolbox:test"
REFUSED = "nc: connect to 10.244.2.4 port 7000 (tcp) failed: Connection refused"
TIMED_OUT = "nc: connect to 10.244.2.4 port 7000 (tcp) timed out: Operation now in progress"


def line(target: str, address: str, stage: str, code: int, said: str) -> str:
    return "\t".join(["wc-reach", target, address, stage, str(code), said])


def test_argv_passes_port_wait_and_targets_to_the_script() -> None:
    argv = reach_argv(["10.244.1.3", "web-1.web"], 7000, wait=2)
    assert argv == ["sh", "-c", REACH_SCRIPT, "reach", "7000", "2", "10.244.1.3", "web-1.web"]


def test_outcomes_are_read_from_result_lines_only() -> None:
    output = "\n".join(
        [
            "some noise from the shell",
            line(
                "10.244.1.3",
                "10.244.1.3",
                CONNECT,
                0,
                "Connection to 10.244.1.3 7000 port [tcp/*] succeeded!",
            ),
            line("10.244.2.4", "10.244.2.4", CONNECT, 1, TIMED_OUT) + "\r",
            line("web-1.web", "", RESOLVE, 2, "no address (getent); dig: status: NXDOMAIN"),
            "wc-reach\ttoo\tfew",
        ]
    )
    outcomes = parse_outcomes(output)
    assert sorted(outcomes) == ["10.244.1.3", "10.244.2.4", "web-1.web"]
    assert outcomes["10.244.1.3"].ok
    assert outcomes["10.244.2.4"] == Outcome("10.244.2.4", "10.244.2.4", CONNECT, 1, TIMED_OUT)
    assert not outcomes["10.244.2.4"].ok
    assert not outcomes["web-1.web"].ok and outcomes["web-1.web"].address == ""


def test_an_unreachable_pod_ip_fails_with_what_nc_said() -> None:
    a = ProbePod("node-a", "probe-a", "10.244.1.3")
    b = ProbePod("node-b", "probe-b", "10.244.2.4")
    outcomes = parse_outcomes(line(b.ip, b.ip, CONNECT, 1, TIMED_OUT))
    failures = failed_pairs(a.label, [Target(b.ip, b.label)], outcomes)
    assert [str(f) for f in failures] == [f"node-a (10.244.1.3) -> node-b (10.244.2.4): {TIMED_OUT}"]


def test_a_reached_target_is_no_failure() -> None:
    outcomes = parse_outcomes(line("10.244.2.4", "10.244.2.4", CONNECT, 0, "Connection ... succeeded!"))
    assert failed_pairs("node-a (10.244.1.3)", [Target("10.244.2.4", "node-b (10.244.2.4)")], outcomes) == []


def test_a_name_fails_saying_whether_resolution_or_connection_failed() -> None:
    targets = [
        Target("web-1.web", "web-1.web", expected="10.244.1.3"),
        Target("web-2.web", "web-2.web", expected="10.244.2.4"),
        Target("web-3.web", "web-3.web", expected="10.244.2.5"),
        Target("web-4.web", "web-4.web", expected="10.244.2.6"),
    ]
    output = "\n".join(
        [
            line("web-1.web", "", RESOLVE, 2, "no address (getent); dig: status: NXDOMAIN"),
            line("web-2.web", "10.244.2.4", CONNECT, 1, REFUSED),
            line(
                "web-3.web", "10.244.9.9", CONNECT, 0, "Connection to 10.244.9.9 7000 port [tcp/*] succeeded!"
            ),
            line(
                "web-4.web", "10.244.2.6", CONNECT, 0, "Connection to 10.244.2.6 7000 port [tcp/*] succeeded!"
            ),
        ]
    )
    failures = failed_pairs("web-0", targets, parse_outcomes(output), output)
    assert [str(f) for f in failures] == [
        "web-0 -> web-1.web: resolution failed: no address (getent); dig: status: NXDOMAIN",
        f"web-0 -> web-2.web: resolved to 10.244.2.4; connection failed: {REFUSED}",
        "web-0 -> web-3.web: resolved to 10.244.9.9; not the pod's IP 10.244.2.5",
    ]


def test_a_target_without_a_result_line_fails_quoting_the_output() -> None:
    failures = failed_pairs(
        "node-a (10.244.1.3)", [Target("10.244.2.4", "node-b (10.244.2.4)")], {}, "sh: 1: nc: not found"
    )
    assert [str(f) for f in failures] == [
        "node-a (10.244.1.3) -> node-b (10.244.2.4): no result line for 10.244.2.4 in the probe's output: "
        "sh: 1: nc: not found"
    ]


def test_a_failed_exec_is_its_own_reason() -> None:
    outcomes = {"10.244.2.4": Outcome("10.244.2.4", "", EXEC, -1, "exec in ns/probe-a failed: 500")}
    (failure,) = failed_pairs("node-a (10.244.1.3)", [Target("10.244.2.4", "node-b (10.244.2.4)")], outcomes)
    assert failure.failure == "exec in ns/probe-a failed: 500"


def test_the_message_counts_the_failing_pairs_and_names_each() -> None:
    failures = [FailedPair("a (1)", "b (2)", "x"), FailedPair("b (2)", "a (1)", "y")]
    assert describe_failures(failures, 6) == "2 of 6 pairs fail:\n  a (1) -> b (2): x\n  b (2) -> a (1): y"


def test_all_pairs_has_each_node_dial_every_other_one_once() -> None:
    probes = [
        ProbePod("n3", "p3", "10.0.3.2"),
        ProbePod("n1", "p1", "10.0.1.2"),
        ProbePod("n2", "p2", "10.0.2.2"),
    ]
    pairs = all_pairs(probes)
    assert [source.node for source, _ in pairs] == ["n1", "n2", "n3"]
    assert [[t.dial for t in targets] for _, targets in pairs] == [
        ["10.0.2.2", "10.0.3.2"],
        ["10.0.1.2", "10.0.3.2"],
        ["10.0.1.2", "10.0.2.2"],
    ]
    assert pairs[0][1][0].label == "n2 (10.0.2.2)"
    assert sum(len(targets) for _, targets in pairs) == 3 * 2


def test_a_single_probe_has_no_pairs_to_check() -> None:
    assert all_pairs([ProbePod("n1", "p1", "10.0.1.2")]) == [(ProbePod("n1", "p1", "10.0.1.2"), [])]


def test_peer_targets_are_the_short_name_and_the_fqdn_of_each_peer() -> None:
    targets = peer_targets("web", "ns-1", "cluster.local", {"web-2": "10.0.2.2", "web-1": "10.0.1.2"})
    assert targets == [
        Target("web-1.web", "web-1.web", expected="10.0.1.2"),
        Target("web-1.web.ns-1.svc.cluster.local", "web-1.web.ns-1.svc.cluster.local", expected="10.0.1.2"),
        Target("web-2.web", "web-2.web", expected="10.0.2.2"),
        Target("web-2.web.ns-1.svc.cluster.local", "web-2.web.ns-1.svc.cluster.local", expected="10.0.2.2"),
    ]


def _assert_listens(container: client.V1Container, port: int) -> None:
    assert container.command == ["nc", "-lk", str(port)]
    assert [(p.container_port, p.protocol) for p in container.ports] == [(port, "TCP")]
    assert container.readiness_probe.tcp_socket.port == port


def test_a_daemonset_with_a_listen_port_listens_and_is_ready_once_it_does() -> None:
    (container,) = daemonset_manifest("probe", IMAGE, listen_port=7000).spec.template.spec.containers
    _assert_listens(container, 7000)
    (plain,) = daemonset_manifest("probe", IMAGE).spec.template.spec.containers
    assert plain.command == ["sleep", "infinity"] and plain.ports is None and plain.readiness_probe is None


def test_a_statefulset_with_a_listen_port_listens_and_is_ready_once_it_does() -> None:
    (container,) = statefulset_manifest("web", IMAGE, listen_port=7000).spec.template.spec.containers
    _assert_listens(container, 7000)
    with pytest.raises(ValueError, match="listen_port and readiness_file"):
        statefulset_manifest("web", IMAGE, listen_port=7000, readiness_file=True)
