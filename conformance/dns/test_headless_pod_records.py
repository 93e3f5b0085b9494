"""A headless Service named as a StatefulSet's serviceName gives each of its pods a DNS name,
``<pod>.<service>.<namespace>.svc.<cluster domain>``, resolving to that pod's IP, and the Service's own name
resolves to the IPs of its Ready pods."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]


def test_each_pod_resolves_by_name_and_the_service_to_every_ready_pod(
    make_headless_service, make_statefulset, dns_probe, namespace, step
) -> None:
    """With a headless Service web selecting the pods of StatefulSet web (serviceName web), looking up
    web-N.web.<namespace>.svc.<cluster domain> from a pod of the namespace MUST answer exactly web-N's IP,
    for N = 0, 1, 2, and web.<namespace>.svc.<cluster domain> MUST answer exactly the three pods' IPs.

    Fails on: a cluster DNS that does not serve pod records of headless Services (NXDOMAIN: the name and
    the answer are named), serves stale or foreign addresses (the answer and the expected IPs are named),
    or does not answer at all (the message says the lookup timed out)."""
    with step("arrange: headless Service web and StatefulSet web of 3, Ready"):
        make_headless_service("web")
        _, pods = wait_for(make_statefulset("web").ready(3))
        ips = {p.metadata.name: p.status.pod_ip for p in pods.values()}
        step.attach("\n".join(f"{n} {ip}" for n, ip in sorted(ips.items())), "pod IPs")

    for name, ip in sorted(ips.items()):
        fqdn = dns_probe.pod_fqdn(name, "web")
        with step(f"observe: {fqdn} resolves to {ip} alone"):
            wait_for(dns_probe.answers(fqdn, {ip}))

    fqdn = dns_probe.service_fqdn("web")
    with step(f"observe: {fqdn} resolves to the three pod IPs"):
        wait_for(dns_probe.answers(fqdn, ips.values()))
