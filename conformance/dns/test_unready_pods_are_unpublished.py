"""A headless Service publishes only its Ready pods in DNS, unless it sets publishNotReadyAddresses; every
DNS server of the cluster follows a pod's readiness."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.resources.dns_answers import NO_SUCH_NAME, DnsQuestion, exactly

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]


def test_an_unready_pod_leaves_dns_unless_the_service_publishes_not_ready_addresses(
    make_headless_service, make_statefulset, dns_probe, namespace, step
) -> None:
    """Once web-1 turns unready, web.<ns> MUST answer only web-0's and web-2's IPs and web-1.web.<ns> MUST
    be NXDOMAIN, while web-all.<ns> (a second headless Service over the same pods, with
    publishNotReadyAddresses) MUST still answer all three IPs. Ready again, web-1 MUST be back in web.<ns>.
    Each answer after a change MUST come from EVERY server of the cluster DNS (each ready endpoint of its
    Service, asked directly by its address) in 3 rounds in a row.

    Fails on: a cluster DNS or EndpointSlice controller that ignores readiness (web.<ns> still answers
    web-1's IP: the server and its answer are named) or ignores publishNotReadyAddresses (web-all.<ns>
    loses web-1's IP), also when only one DNS server does (a replica cut off from the API server)."""
    web_name, all_name = (
        DnsQuestion(dns_probe.service_fqdn("web")),
        DnsQuestion(dns_probe.service_fqdn("web-all")),
    )
    with step("arrange: Services web and web-all (publishNotReadyAddresses), StatefulSet web of 3"):
        make_headless_service("web")
        make_headless_service("web-all", {APP_LABEL: "web"}, publish_not_ready=True)
        web = make_statefulset("web", readiness_file=True, start_ready=True)
        _, pods = wait_for(web.ready(3))
        ips = {o: p.status.pod_ip for o, p in pods.items()}
        every = set(ips.values())
        wait_for(dns_probe.settled({web_name: exactly(every), all_name: exactly(every)}, rounds=1))
        step.attach("\n".join(str(s) for s in dns_probe.servers()), "the DNS servers asked")

    with step("act: make web-1 unready (remove its readiness file)"):
        web.set_ready_file(1, present=False)
        wait_for(web.readiness(1, False, timeout=30))

    with step(f"observe: web drops web-1 ({ips[1]}), web-all keeps it, web-1.web is NXDOMAIN"):
        web_1 = DnsQuestion(dns_probe.pod_fqdn("web-1", "web"))
        wanted = {web_name: exactly(every - {ips[1]}), web_1: NO_SUCH_NAME, all_name: exactly(every)}
        wait_for(dns_probe.settled(wanted))

    with step("act: make web-1 Ready again"):
        web.set_ready_file(1, present=True)

    with step("observe: web answers all three pod IPs again"):
        wait_for(dns_probe.settled({web_name: exactly(every)}))
