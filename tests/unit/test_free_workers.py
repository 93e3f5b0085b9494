"""Workers a guarantee may change are found by schedulability, not by a role label; too few is not
verified, naming every node that is out and why."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kubernetes.client import V1Node, V1NodeCondition, V1NodeSpec, V1NodeStatus, V1ObjectMeta, V1Taint

from clusters.kube.verdicts import NotVerified
from fixtures.resources.nodes import free_workers


def node(name: str, *, labels=None, taints=(), ready=True, cordoned=False) -> V1Node:
    return V1Node(
        metadata=V1ObjectMeta(name=name, labels={"kubernetes.io/os": "linux", **(labels or {})}),
        spec=V1NodeSpec(taints=list(taints) or None, unschedulable=cordoned or None),
        status=V1NodeStatus(conditions=[V1NodeCondition(type="Ready", status="True" if ready else "False")]),
    )


def core_with(*nodes: V1Node) -> SimpleNamespace:
    return SimpleNamespace(list_node=lambda: SimpleNamespace(items=list(nodes)))


def test_an_untainted_control_plane_is_a_worker_and_a_tainted_one_is_not() -> None:
    core = core_with(
        node("solo", labels={"node-role.kubernetes.io/control-plane": ""}),
        node("cp", taints=[V1Taint(key="node-role.kubernetes.io/control-plane", effect="NoSchedule")]),
        node("w1"),
    )
    assert free_workers(core, 2) == ["solo", "w1"]


def test_too_few_is_not_verified_naming_each_node_out_and_why() -> None:
    core = core_with(
        node("w1"),
        node("w2", cordoned=True),
        node("w3", ready=False),
        node("win", labels={"kubernetes.io/os": "windows"}),
        node("gpu", taints=[V1Taint(key="gpu", value="yes", effect="NoExecute")]),
    )
    with pytest.raises(NotVerified) as failure:
        free_workers(core, 2)
    assert failure.value.reason == (
        "needs 2 schedulable Linux worker(s) without NoSchedule/NoExecute taints, found 1: w1 "
        "(out: w2: cordoned; w3: NotReady; win: kubernetes.io/os=windows; gpu: tainted gpu=yes:NoExecute)"
    )
