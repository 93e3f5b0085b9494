"""A headless Service named as a StatefulSet's serviceName gives each of its pods a DNS name,
``<pod>.<service>.<namespace>.svc.cluster.local``, resolving to that pod's IP, and the Service's own name
resolves to the IPs of its Ready pods."""

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
    service_fqdn,
    statefulset_manifest,
    wait_for_statefulset_ready,
)

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]

DNS_TIMEOUT = 60  # CoreDNS picks up EndpointSlices within seconds; its cache keeps answers 5 s


def test_each_pod_resolves_by_name_and_the_service_to_every_ready_pod(
    wc_cluster: ClusterUnderTest, namespace: str, dns_probe: DnsProbe
) -> None:
    """With a headless Service web selecting the pods of StatefulSet web (serviceName web), looking up
    web-N.web.<namespace>.svc.cluster.local from a pod of the namespace MUST answer exactly web-N's IP,
    for N = 0, 1, 2, and web.<namespace>.svc.cluster.local MUST answer exactly the three pods' IPs.

    Fails on: a cluster DNS that does not serve pod records of headless Services (NXDOMAIN: the name and
    the answer are named), serves stale or foreign addresses (the answer and the expected IPs are named),
    or does not answer at all (the message says the lookup timed out)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: headless Service web and StatefulSet web of 3, Ready"):
        core.create_namespaced_service(namespace, headless_service_manifest("web", {APP_LABEL: "web"}))
        apps.create_namespaced_stateful_set(namespace, statefulset_manifest("web", wc_cluster.toolbox_image))
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)
        ips = {p.metadata.name: p.status.pod_ip for p in pods.values()}
        allure.attach("\n".join(f"{n} {ip}" for n, ip in sorted(ips.items())), "pod IPs")

    for name, ip in sorted(ips.items()):
        fqdn = pod_fqdn(name, "web", namespace)
        with allure.step(f"observe: {fqdn} resolves to {ip} alone"):
            wait_for(
                Probe(
                    answers(core, namespace, dns_probe.pod, fqdn, {ip}),
                    f"{fqdn} answers exactly {ip}",
                    timeout=DNS_TIMEOUT,
                    subject=f"DNS from pod {namespace}/{dns_probe.pod}",
                )
            )

    fqdn = service_fqdn("web", namespace)
    with allure.step(f"observe: {fqdn} resolves to the three pod IPs"):
        wait_for(
            Probe(
                answers(core, namespace, dns_probe.pod, fqdn, set(ips.values())),
                f"{fqdn} answers exactly {sorted(ips.values())}",
                timeout=DNS_TIMEOUT,
                subject=f"DNS from pod {namespace}/{dns_probe.pod}",
            )
        )
