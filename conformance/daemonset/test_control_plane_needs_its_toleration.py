"""A DaemonSet runs on control-plane nodes tainted node-role.kubernetes.io/control-plane:NoSchedule only when
it tolerates that taint."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import describe_pods
from fixtures.resources.nodes import CONTROL_PLANE_ROLE

pytestmark = pytest.mark.daemonset

CONTROL_PLANE_TAINT = f"{CONTROL_PLANE_ROLE}:NoSchedule"


def test_control_plane_taint_is_covered_only_with_its_toleration(wc_cluster, make_daemonset, step) -> None:
    """On every node tainted node-role.kubernetes.io/control-plane:NoSchedule, a DaemonSet without a
    toleration for it MUST NOT run a pod, and the same DaemonSet with that toleration MUST run one Ready pod;
    both MUST cover the other nodes alike.

    Fails on: a daemonset controller or scheduler that ignores the control-plane taint (a pod of the
    untolerating DaemonSet on the control plane, node and pod named in the message), or that ignores the
    toleration (no pod of the tolerating one there, node named in the message)."""
    control_planes = sorted(
        node.metadata.name
        for node in wc_cluster.core.list_node().items
        if any(
            t.key == CONTROL_PLANE_ROLE and t.effect == "NoSchedule" and not t.value
            for t in node.spec.taints or []
        )
    )
    if not control_planes:
        raise NotVerified(
            f"no node carries {CONTROL_PLANE_TAINT}: there is no tainted control plane to keep pods off",
            remedy="run on a cluster whose control-plane nodes carry the taint, or leave this guarantee out "
            "on purpose with -k",
        )
    toleration = client.V1Toleration(key=CONTROL_PLANE_ROLE, operator="Exists", effect="NoSchedule")

    with step(f"act: one DaemonSet without and one with a toleration for {CONTROL_PLANE_TAINT}"):
        plain = make_daemonset("plain")
        tolerating = make_daemonset("tolerating", tolerations=[toleration])

    with step(f"observe: no pod of plain on {', '.join(control_planes)}, one of tolerating on each"):
        _, _, plain_pods = wait_for(plain.covers_eligible_nodes(timeout=120))
        _, _, tolerating_pods = wait_for(tolerating.covers_eligible_nodes(timeout=120))
        intruders = {node: plain_pods[node] for node in control_planes if node in plain_pods}
        assert not intruders, (
            f"plain does not tolerate {CONTROL_PLANE_TAINT} yet runs {describe_pods(intruders)}"
        )
        missing = [node for node in control_planes if node not in tolerating_pods]
        assert not missing, (
            f"tolerating tolerates {CONTROL_PLANE_TAINT} yet has no pod on {', '.join(missing)}; "
            f"its pods: {describe_pods(tolerating_pods)}"
        )
        assert set(tolerating_pods) - set(control_planes) == set(plain_pods), (
            f"off the control plane the two differ: plain on {sorted(plain_pods)}, "
            f"tolerating on {sorted(tolerating_pods)}"
        )
