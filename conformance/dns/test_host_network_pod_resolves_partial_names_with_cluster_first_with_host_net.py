"""A pod on the host's network resolves cluster names as any pod does when it asks for it: with dnsPolicy
ClusterFirstWithHostNet its resolver is the cluster DNS with the pod's search path, so the partial names of
Services (``web``, ``web.<ns>``, ``_nominal._tcp.web.<ns>.svc``) answer."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.resources.dns import DnsProbe
from fixtures.resources.dns_answers import DnsQuestion, exactly, over_udp_and_tcp, reverse_name
from fixtures.resources.pods import toolbox_pod

pytestmark = [pytest.mark.dns]

#: The port of make_headless_service's and make_cluster_ip_service's Services.
PORT_NAME, PORT = "nominal", 80


@pytest.mark.pod_security(
    "privileged", "a pod on the host's network: baseline and restricted forbid hostNetwork"
)
@pytest.mark.upstream(
    "dns.go: should resolve DNS of partial qualified names for services on hostNetwork pods with dnsPolicy: "
    "ClusterFirstWithHostNet [LinuxOnly]",
    parity="stricter",
    note="the partial names are judged by their records (the headless Service's address is the host pod's, "
    "its SRV target the pod's hostname, the regular Service's SRV and PTR its own name), not only non-empty, "
    "over UDP and TCP, from the host pod's resolver and every DNS server; the pod's address is its node's",
)
def test_a_host_network_pod_resolves_partial_service_names_through_the_cluster_dns(
    wc_cluster, make_headless_service, make_cluster_ip_service, make_pod, dns_probe, namespace, step
) -> None:
    """With a pod host-querier on the host's network (hostNetwork, dnsPolicy ClusterFirstWithHostNet,
    hostname querier, subdomain web), a headless Service web and a Service web-ip with a cluster IP both
    selecting it, the host pod's address MUST be its node's, and from the host pod, over UDP and TCP, through
    its resolver's search path and from every DNS server asked directly:
    - A web, web.<ns> and web.<ns>.svc MUST answer exactly the host pod's address;
    - SRV _nominal._tcp.web.<ns>.svc MUST answer exactly 80 querier.web.<ns>.svc.<domain>;
    - SRV _nominal._tcp.web-ip.<ns>.svc MUST answer exactly 80 web-ip.<ns>.svc.<domain>;
    - PTR of web-ip's cluster IP MUST answer exactly web-ip.<ns>.svc.<domain>.

    Fails on: a kubelet that gives a ClusterFirstWithHostNet pod the node's resolver (the short names are
    not found: each is named with its answer), or a cluster DNS without records for a host-network pod's
    endpoint (the question and the server asked are named)."""
    with step("arrange: Services web (headless) and web-ip, both selecting app=web"):
        make_headless_service("web")
        web_ip = make_cluster_ip_service("web-ip", selector={APP_LABEL: "web"})
        cluster_ip = web_ip.read().spec.cluster_ip

    with step("act: pod host-querier on the host's network with dnsPolicy ClusterFirstWithHostNet"):
        manifest = toolbox_pod(
            "host-querier",
            wc_cluster.toolbox_image,
            labels={APP_LABEL: "web"},
            hostname="querier",
            subdomain="web",
        )
        manifest.spec.host_network = True
        manifest.spec.dns_policy = "ClusterFirstWithHostNet"
        pod = wait_for(make_pod("host-querier", manifest=manifest).ready())
        node = wc_cluster.core.read_node(pod.spec.node_name)
        node_ips = {a.address for a in node.status.addresses or [] if a.type == "InternalIP"}
        assert pod.status.pod_ip in node_ips, (
            f"host-querier on {node.metadata.name} has address {pod.status.pod_ip}, not its node's {node_ips}"
        )
        host = DnsProbe(wc_cluster.api, namespace, "host-querier", dns_probe.dns_service)

    short_svc = f"{namespace}.svc"
    querier = dns_probe.pod_fqdn("querier", "web")
    expected = {
        **{
            DnsQuestion(name, search=True): exactly({pod.status.pod_ip})
            for name in ("web", f"web.{namespace}")
        },
        DnsQuestion(f"web.{short_svc}", search=True): exactly({pod.status.pod_ip}),
        DnsQuestion(f"_{PORT_NAME}._tcp.web.{short_svc}", "SRV", search=True): exactly({f"{PORT} {querier}"}),
        DnsQuestion(f"_{PORT_NAME}._tcp.web-ip.{short_svc}", "SRV", search=True): exactly(
            {f"{PORT} {dns_probe.service_fqdn('web-ip')}"}
        ),
        DnsQuestion(reverse_name(cluster_ip), "PTR"): exactly({dns_probe.service_fqdn("web-ip")}),
    }

    with step(f"observe: from host-querier, {len(expected)} names answered over UDP and TCP by every server"):
        wait_for(host.settled(over_udp_and_tcp(expected)))
