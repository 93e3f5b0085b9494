"""The cluster DNS reads a headless Service's endpoints from its EndpointSlices, all of them: a Service
without a selector, whose slices are written by hand and which has no Endpoints object, answers A and SRV
records for the endpoints of every slice."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from clusters.kube.waits import wait_for
from fixtures.resources.dns_answers import DnsQuestion, exactly, over_udp_and_tcp

pytestmark = [pytest.mark.dns]

#: slice name -> (endpoint hostname, port name, port, IPv4 address, IPv6 address); documentation addresses
#: (RFC 5737, RFC 3849): nothing needs to answer at them.
SLICES = {
    "web-first": ("first", "http", 80, "192.0.2.10", "2001:db8::10"),
    "web-second": ("second", "https", 443, "198.51.100.20", "2001:db8::20"),
}


@pytest.mark.upstream(
    "dns.go: should provide DNS for a service with multiple EndpointSlices and no Endpoints",
    parity="stricter",
    note="the Service's A records must be exactly both slices' addresses and each SRV exactly its slice's "
    "port and endpoint name (upstream: not empty); each endpoint's own name answers its address; over UDP "
    "and TCP, 3 rounds in a row from the pod's resolver and every DNS server; no Endpoints object exists",
)
def test_a_selectorless_service_answers_for_every_endpoint_slice(
    make_headless_service, make_endpoint_slice, dns_probe, step
) -> None:
    """With a headless Service web without a selector and two EndpointSlices written by hand (web-first:
    endpoint "first" at one address, port http 80; web-second: endpoint "second" at another, port https
    443), and no Endpoints object for web, over UDP and TCP, from the pod's resolver and every DNS server
    asked directly, 3 rounds in a row:
    - A (AAAA on IPv6) web.<ns>.svc.<domain> MUST answer exactly both addresses;
    - SRV _http._tcp.web.<ns>.svc.<domain> MUST answer exactly 80 first.web.<ns>.svc.<domain>, and
      _https._tcp.web... exactly 443 second.web...;
    - first.web... and second.web... MUST each answer exactly their endpoint's address.

    Fails on: a cluster DNS that reads endpoints from Endpoints objects only, or from one EndpointSlice of
    a Service (the missing address or SRV record is named, with the server that answered)."""
    with step("arrange: headless Service web without a selector"):
        service = make_headless_service("web", without_selector=True)
        family = (service.read().spec.ip_families or ["IPv4"])[0]
        address = {name: (v6 if family == "IPv6" else v4) for name, (*_, v4, v6) in SLICES.items()}

    with step(f"act: write EndpointSlices {', '.join(SLICES)} for web by hand ({family})"):
        for name, (hostname, port_name, port, *_) in SLICES.items():
            make_endpoint_slice(
                name, service="web", address=address[name], hostname=hostname, port_name=port_name, port=port
            )

    web = dns_probe.service_fqdn("web")
    rtype = "AAAA" if family == "IPv6" else "A"
    expected = {DnsQuestion(web, rtype): exactly(address.values())}
    for name, (hostname, port_name, port, *_) in SLICES.items():
        member = dns_probe.pod_fqdn(hostname, "web")
        expected[DnsQuestion(f"_{port_name}._tcp.{web}", "SRV")] = exactly({f"{port} {member}"})
        expected[DnsQuestion(member, rtype)] = exactly({address[name]})

    with step(f"observe: {len(expected)} names answered from both slices, over UDP and TCP, by every server"):
        wait_for(dns_probe.settled(over_udp_and_tcp(expected)))

    with step("observe: web has no Endpoints object: the answers came from the EndpointSlices"):
        try:
            endpoints = service.core.read_namespaced_endpoints("web", service.namespace)
        except ApiException as err:
            assert err.status == 404, f"reading the Endpoints of web: {err.status} {err.reason}"
        else:
            raise AssertionError(f"web has an Endpoints object: {endpoints.subsets}")
