"""A StatefulSet pod's DNS name follows the pod: once it is replaced, the name resolves to the new pod."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.dns import DnsProbe
from fixtures.resources.dns_answers import answers
from fixtures.resources.statefulsets import (
    headless_service_manifest,
    pod_fqdn,
    statefulset_manifest,
    wait_for_replacement,
    wait_for_statefulset_ready,
)

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]

DNS_TIMEOUT = 60


def test_a_replaced_pod_name_resolves_to_the_new_pod(
    wc_cluster: ClusterUnderTest, namespace: str, dns_probe: DnsProbe
) -> None:
    """After web-1 is deleted and the StatefulSet replaces it, web-1.web.<ns> MUST answer exactly the new
    pod's IP, and web-0 and web-2 MUST keep answering their own.

    Fails on: a cluster DNS that keeps serving the old pod's address (the stale answer is named) or never
    publishes the replacement (NXDOMAIN is named)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    subject = f"DNS from pod {namespace}/{dns_probe.pod}"
    with allure.step("arrange: headless Service web and StatefulSet web of 3, each pod name resolving"):
        core.create_namespaced_service(namespace, headless_service_manifest("web", {APP_LABEL: "web"}))
        apps.create_namespaced_stateful_set(namespace, statefulset_manifest("web", wc_cluster.toolbox_image))
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        for pod in sorted(pods.values(), key=lambda p: p.metadata.name):
            fqdn = pod_fqdn(pod.metadata.name, "web", namespace)
            wait_for(
                Probe(
                    answers(core, namespace, dns_probe.pod, fqdn, {pod.status.pod_ip}),
                    f"{fqdn} answers {pod.status.pod_ip}",
                    timeout=DNS_TIMEOUT,
                    subject=subject,
                )
            )

    with allure.step(f"act: delete web-1 ({pods[1].status.pod_ip})"):
        core.delete_namespaced_pod("web-1", namespace)

    with allure.step("observe: web-1.web resolves to the new web-1's IP"):
        new = wait_for_replacement(core, namespace, "web-1", pods[1].metadata.uid)
        allure.attach(f"old {pods[1].status.pod_ip}\nnew {new.status.pod_ip}", "web-1 IPs")
        fqdn = pod_fqdn("web-1", "web", namespace)
        wait_for(
            Probe(
                answers(core, namespace, dns_probe.pod, fqdn, {new.status.pod_ip}),
                f"{fqdn} answers the new pod's IP {new.status.pod_ip} alone (was {pods[1].status.pod_ip})",
                timeout=DNS_TIMEOUT,
                subject=subject,
            )
        )
        for ordinal in (0, 2):
            fqdn = pod_fqdn(f"web-{ordinal}", "web", namespace)
            wait_for(
                Probe(
                    answers(core, namespace, dns_probe.pod, fqdn, {pods[ordinal].status.pod_ip}),
                    f"{fqdn} still answers {pods[ordinal].status.pod_ip}",
                    timeout=DNS_TIMEOUT,
                    subject=subject,
                )
            )
