"""What the command and autoscaler node providers decide without a cluster: the node an add command
names, the remove command for a node, a failed command's one line, and the size of the pressure."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from clusters.kube.verdicts import NotVerified
from fixtures.resources.node_commands import CommandNodes, named_node, remove_command_for, stderr_tail
from fixtures.resources.node_pressure import pressure_plan

NODES = {"w1", "w2", "w3"}


@pytest.mark.parametrize(
    ("stdout", "named"),
    [
        ("joining...\nw3\n\n", "w3"),
        ("w3 Ready: container 4.1 s, join 6.0 s\n", "w3"),
        ("node w3 joined\n", None),  # neither the whole line nor its first word names it
        ("w3\nscaled the group\n", None),  # only the last line counts
        ("", None),
        ("w9\n", None),  # not a Node (yet): the node is found as the one that appears
    ],
)
def test_the_add_commands_last_line_names_the_node(stdout: str, named: str | None) -> None:
    assert named_node(stdout, NODES) == named


def test_the_remove_command_gets_the_node_shell_quoted() -> None:
    assert remove_command_for("scale-down {node} && echo {node}", "w3") == "scale-down w3 && echo w3"
    assert remove_command_for("drain {node}", "it's") == "drain 'it'\"'\"'s'"
    assert remove_command_for("scale-down $WC_NODE", "w3") == "scale-down $WC_NODE"


def test_stderr_tail_is_one_line_of_the_last_lines() -> None:
    text = "\n".join(f"line {i}" for i in range(10)) + "\n\n"
    assert stderr_tail(text) == "line 5 | line 6 | line 7 | line 8 | line 9"
    assert stderr_tail("") == "nothing on standard error"


def _commands(add: str, remove: str = "true") -> CommandNodes:
    return CommandNodes(None, add, remove, kubeconfig=Path("kubeconfig"), context=None, timeout=5)  # type: ignore[arg-type]


def test_a_command_that_exits_non_zero_is_not_verified_with_its_stderr_tail() -> None:
    nodes = _commands("true", "echo quota exceeded >&2; echo for group workers >&2; exit 3")
    with pytest.raises(NotVerified) as failed:
        nodes.remove("w3", after_failure=True)
    assert str(failed.value).startswith(
        "--wc-node-remove-command 'echo quota exceeded >&2; echo for group workers >&2; exit 3' exited 3: "
        "quota exceeded | for group workers; fix the command"
    )


def test_the_remove_command_sees_the_node_and_the_kubeconfig(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    nodes = _commands("true", f'echo "$WC_NODE {{node}} $WC_KUBECONFIG" > {seen}')
    nodes.remove("w3", after_failure=True)
    assert seen.read_text() == "w3 w3 kubeconfig\n"


def test_a_command_that_runs_past_the_timeout_is_not_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WC_TIMEOUT_SCALE", "0.1")
    with pytest.raises(NotVerified, match=r"--wc-node-remove-command 'sleep 5' still running after 0 s"):
        _commands("true", "sleep 5").remove("w3", after_failure=True)


def _node(name: str, cpu: str = "2", taint: bool = False) -> client.V1Node:
    return client.V1Node(
        metadata=client.V1ObjectMeta(name=name, labels={"kubernetes.io/os": "linux"}),
        spec=client.V1NodeSpec(
            taints=[client.V1Taint(key="node-role.kubernetes.io/control-plane", effect="NoSchedule")]
            if taint
            else None
        ),
        status=client.V1NodeStatus(
            allocatable={"cpu": cpu}, conditions=[client.V1NodeCondition(type="Ready", status="True")]
        ),
    )


def _pod(node: str, cpu: str, owner: str | None = None, phase: str = "Running") -> client.V1Pod:
    refs = [client.V1OwnerReference(api_version="v1", kind=owner, name="x", uid="u")] if owner else None
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name="p", owner_references=refs),
        spec=client.V1PodSpec(
            node_name=node,
            containers=[
                client.V1Container(name="c", resources=client.V1ResourceRequirements(requests={"cpu": cpu}))
            ],
        ),
        status=client.V1PodStatus(phase=phase),
    )


def test_pressure_fills_each_worker_once_and_leaves_one_pod_for_a_new_node() -> None:
    nodes = [_node("cp", taint=True), _node("w1"), _node("w2"), _node("w3")]
    pods = [
        *(_pod(n, "100m", "DaemonSet") for n in ("cp", "w1", "w2", "w3")),
        _pod("w2", "100m", "ReplicaSet"),  # coredns: not on a new node
        _pod("w3", "1500m", "ReplicaSet"),  # a busy worker: no room for one
        _pod("w1", "5", phase="Succeeded"),  # done: holds nothing
    ]
    plan = pressure_plan(nodes, pods)
    # an empty worker has 2000m - 100m (its DaemonSet pod) for pods: just over half of it each
    assert plan.millicores == 951
    assert plan.room == {"w1": 1900, "w2": 1800, "w3": 400}
    assert plan.count == 3  # one on w1, one on w2, one for a new node
    assert str(plan) == "3 pod(s) of 951m CPU each (free CPU: w1 1900m, w2 1800m, w3 400m)"


def test_pressure_without_workers_is_not_verified() -> None:
    with pytest.raises(NotVerified, match="no schedulable Linux worker"):
        pressure_plan([_node("cp", taint=True)], [])
