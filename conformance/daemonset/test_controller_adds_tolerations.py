"""Every daemon pod carries the tolerations the DaemonSet controller adds by itself, so node conditions that
keep other pods off or evict them do not take a node's daemon pod away."""

from __future__ import annotations

import allure
import pytest
from kubernetes import client

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import daemonset_manifest, format_toleration, wait_for_daemonset_coverage
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


@pytest.mark.parametrize("host_network", [False, True], ids=["pod-network", "hostNetwork"])
def test_every_daemon_pod_carries_the_controllers_tolerations(
    wc_cluster: ClusterUnderTest, namespace: str, host_network: bool
) -> None:
    """Every pod of a DaemonSet that declares no tolerations MUST tolerate, with operator Exists and no
    tolerationSeconds, node.kubernetes.io/not-ready and unreachable (NoExecute) and disk-pressure,
    memory-pressure, pid-pressure and unschedulable (NoSchedule); with hostNetwork also
    network-unavailable (NoSchedule).

    Fails on: a daemonset controller that does not add them, or an admission step that strips or bounds
    them (e.g. tolerationSeconds 300 on not-ready): each pod and node named with what it lacks."""
    core, apps = wc_cluster.core, wc_cluster.apps
    wanted = automatic_tolerations(host_network)

    with allure.step(f"act: create a DaemonSet without tolerations (hostNetwork {host_network})"):
        manifest = daemonset_manifest("agent", wc_cluster.toolbox_image, host_network=host_network)
        apps.create_namespaced_daemon_set(namespace, manifest)

    with allure.step(f"observe: each pod tolerates {', '.join(format_toleration(t) for t in wanted)}"):
        _, _, by_node = wait_for_daemonset_coverage(apps, core, namespace, "agent", timeout=120)
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
