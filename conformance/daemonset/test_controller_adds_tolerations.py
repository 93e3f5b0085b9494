"""Every daemon pod carries the tolerations the DaemonSet controller adds by itself, so node conditions that
keep other pods off or evict them do not take a node's daemon pod away."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import format_toleration
from fixtures.resources.eligibility import automatic_tolerations

pytestmark = pytest.mark.daemonset


def same(wanted: client.V1Toleration, have: client.V1Toleration) -> bool:
    """Equal in key, operator, value, effect and tolerationSeconds (an unset value equals an empty one)."""
    return (wanted.key, wanted.operator, wanted.value or "", wanted.effect, wanted.toleration_seconds) == (
        have.key,
        have.operator or "Equal",
        have.value or "",
        have.effect,
        have.toleration_seconds,
    )


HOST_NETWORK = pytest.mark.pod_security(
    "privileged", "hostNetwork: Pod Security's baseline and restricted levels forbid the host network"
)


@pytest.mark.parametrize(
    "host_network",
    [
        pytest.param(False, id="pod-network"),
        pytest.param(True, id="hostNetwork", marks=HOST_NETWORK),
    ],
)
def test_every_daemon_pod_carries_the_controllers_tolerations(
    make_daemonset, step, host_network: bool
) -> None:
    """Every pod of a DaemonSet that declares no tolerations MUST tolerate, with operator Exists and no
    tolerationSeconds, node.kubernetes.io/not-ready and unreachable (NoExecute) and disk-pressure,
    memory-pressure, pid-pressure and unschedulable (NoSchedule); with hostNetwork also
    network-unavailable (NoSchedule).

    Fails on: a daemonset controller that does not add them, or an admission step that strips or bounds
    them (e.g. tolerationSeconds 300 on not-ready): each pod and node named with what it lacks."""
    wanted = automatic_tolerations(host_network)

    with step(f"act: create a DaemonSet without tolerations (hostNetwork {host_network})"):
        agent = make_daemonset("agent", host_network=host_network)

    with step(f"observe: each pod tolerates {', '.join(format_toleration(t) for t in wanted)}"):
        _, _, by_node = wait_for(agent.covers_eligible_nodes(timeout=120))
        assert by_node, "no daemon pod to judge"
        lacking = []
        for node, pods in sorted(by_node.items()):
            for pod in pods:
                have = pod.spec.tolerations or []
                missing = [format_toleration(t) for t in wanted if not any(same(t, h) for h in have)]
                if missing:
                    lacking.append(
                        f"{pod.metadata.name} on {node} lacks {', '.join(missing)} "
                        f"(has {', '.join(format_toleration(h) for h in have) or 'none'})"
                    )
        assert not lacking, "\n".join(lacking)
