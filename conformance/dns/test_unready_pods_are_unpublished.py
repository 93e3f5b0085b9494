"""A headless Service publishes only its Ready pods in DNS, unless it sets publishNotReadyAddresses."""

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
    pod_readiness,
    service_fqdn,
    set_ready_file,
    statefulset_manifest,
    wait_for_statefulset_ready,
)

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]

DNS_TIMEOUT = 60


def test_an_unready_pod_leaves_dns_unless_the_service_publishes_not_ready_addresses(
    wc_cluster: ClusterUnderTest, namespace: str, dns_probe: DnsProbe
) -> None:
    """Once web-1 turns unready, web.<ns> MUST answer only web-0's and web-2's IPs and web-1.web.<ns> MUST
    be NXDOMAIN, while web-all.<ns> (a second headless Service over the same pods, with
    publishNotReadyAddresses) MUST still answer all three IPs. Ready again, web-1 MUST be back in web.<ns>.

    Fails on: a cluster DNS or EndpointSlice controller that ignores readiness (web.<ns> still answers
    web-1's IP: the answer is named) or ignores publishNotReadyAddresses (web-all.<ns> loses web-1's IP)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    subject = f"DNS from pod {namespace}/{dns_probe.pod}"
    selector = {APP_LABEL: "web"}
    with allure.step("arrange: Services web and web-all (publishNotReadyAddresses), StatefulSet web of 3"):
        core.create_namespaced_service(namespace, headless_service_manifest("web", selector))
        core.create_namespaced_service(
            namespace, headless_service_manifest("web-all", selector, publish_not_ready=True)
        )
        manifest = statefulset_manifest(
            "web", wc_cluster.toolbox_image, readiness_file=True, start_ready=True
        )
        apps.create_namespaced_stateful_set(namespace, manifest)
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        ips = {o: p.status.pod_ip for o, p in pods.items()}
        every = set(ips.values())
        wait_for(
            Probe(
                answers(core, namespace, dns_probe.pod, service_fqdn("web", namespace), every),
                "web answers all three pod IPs",
                timeout=DNS_TIMEOUT,
                subject=subject,
            )
        )

    with allure.step("act: make web-1 unready (remove its readiness file)"):
        set_ready_file(core, namespace, "web-1", present=False)
        wait_for(
            Probe(
                pod_readiness(core, namespace, "web-1", ready=False),
                "Ready=False",
                timeout=30,
                subject=f"v1 Pod {namespace}/web-1",
            )
        )

    with allure.step(f"observe: web drops web-1 ({ips[1]}), web-all keeps it, web-1.web is NXDOMAIN"):
        wait_for(
            Probe(
                answers(core, namespace, dns_probe.pod, service_fqdn("web", namespace), every - {ips[1]}),
                f"web answers only web-0 and web-2 ({sorted(every - {ips[1]})})",
                timeout=DNS_TIMEOUT,
                subject=subject,
            )
        )
        wait_for(
            Probe(
                answers(core, namespace, dns_probe.pod, pod_fqdn("web-1", "web", namespace), None),
                "web-1.web is NXDOMAIN while web-1 is unready",
                timeout=DNS_TIMEOUT,
                subject=subject,
            )
        )
        wait_for(
            Probe(
                answers(core, namespace, dns_probe.pod, service_fqdn("web-all", namespace), every),
                f"web-all still answers all three pod IPs ({sorted(every)})",
                timeout=DNS_TIMEOUT,
                subject=subject,
            )
        )

    with allure.step("act: make web-1 Ready again"):
        set_ready_file(core, namespace, "web-1", present=True)

    with allure.step("observe: web answers all three pod IPs again"):
        wait_for(
            Probe(
                answers(core, namespace, dns_probe.pod, service_fqdn("web", namespace), every),
                "web answers all three pod IPs again",
                timeout=DNS_TIMEOUT,
                subject=subject,
            )
        )
