"""The cluster DNS answers for a headless Service and its pods as the Kubernetes DNS specification says:
A records for the Service and for each pod's ``<hostname>.<subdomain>`` name, SRV records for its named
port, PTR records for its pods' addresses, over UDP and TCP, by full names and by the short names a pod's
search path completes; and, for a Service with a cluster IP, SRV and PTR records naming the Service."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.resources.dns_answers import DnsQuestion, exactly, including, over_udp_and_tcp, reverse_name

pytestmark = [pytest.mark.dns]

#: The port of make_headless_service's and make_cluster_ip_service's Services.
PORT_NAME, PORT = "nominal", 80
#: pod name -> spec.hostname: the DNS name comes from the hostname, not the pod's name.
MEMBERS = {"member-a": "querier-a", "member-b": "querier-b"}


@pytest.mark.upstream(
    "dns.go: should provide DNS for services",
    parity="stricter",
    note="the headless Service's A and SRV and the regular Service's SRV and PTR are judged by their "
    "records (two pods: both addresses, both SRV targets by hostname and port), not only non-empty; "
    "also each pod's PTR; asked of the pod's resolver and of every DNS server directly",
)
@pytest.mark.upstream(
    "dns.go: should resolve DNS of partial qualified names for services [LinuxOnly]",
    parity="stricter",
    note="web, web.<ns>, web.<ns>.svc and both Services' partial SRV names, over UDP and TCP, judged by "
    "their records, from the pod's resolver and every DNS server",
)
@pytest.mark.upstream(
    "dns.go: should provide DNS for pods for Subdomain",
    parity="stricter",
    note="two pods with hostname and subdomain: <hostname>.<subdomain>.<ns>.svc.<domain> answers exactly "
    "that pod's address, by full and short name, and the subdomain the two addresses",
)
def test_headless_service_answers_a_srv_and_ptr_over_udp_and_tcp_by_short_and_full_names(
    make_headless_service, make_cluster_ip_service, make_pod, dns_probe, namespace, step
) -> None:
    """With a headless Service web and a Service web-ip with a cluster IP, both selecting pods member-a and
    member-b (hostnames querier-a and querier-b, subdomain web), over UDP and over TCP, from the pod's
    resolver and from every server of the cluster DNS asked directly:
    - A web.<ns>.svc.<domain> MUST answer exactly both pods' addresses, and so MUST the short names web,
      web.<ns> and web.<ns>.svc through the search path;
    - A querier-X.web.<ns>.svc.<domain> (and the short querier-X.web) MUST answer exactly that pod's address;
    - SRV _nominal._tcp.web.<ns>.svc.<domain> (and the partial _nominal._tcp.web.<ns>.svc) MUST answer
      exactly port 80 at querier-a.web... and querier-b.web...;
    - SRV _nominal._tcp.web-ip.<ns>.svc.<domain> (and its partial name) MUST answer exactly port 80 at
      web-ip.<ns>.svc.<domain>;
    - PTR of each pod's address MUST include querier-X.web.<ns>.svc.<domain>, and PTR of web-ip's cluster IP
      MUST answer exactly web-ip.<ns>.svc.<domain>.

    Fails on: a cluster DNS without per-pod hostname records, SRV or reverse records for Services, or one
    that does not answer over TCP (each wrong question is named with its answer and the server asked); a
    kubelet that leaves the namespace out of a pod's search path (the short names fail)."""
    with step("arrange: headless Service web, Service web-ip, pods member-a and member-b in subdomain web"):
        make_headless_service("web")
        web_ip = make_cluster_ip_service("web-ip", selector={APP_LABEL: "web"})
        pods = {
            name: make_pod(name, hostname=hostname, subdomain="web", labels={APP_LABEL: "web"})
            for name, hostname in MEMBERS.items()
        }
        ips = {MEMBERS[name]: wait_for(pod.ready()).status.pod_ip for name, pod in pods.items()}
        cluster_ip = web_ip.read().spec.cluster_ip
        step.attach("\n".join(f"{h} {ip}" for h, ip in sorted(ips.items())) + f"\nweb-ip {cluster_ip}", "IPs")

    web, web_ip_name = dns_probe.service_fqdn("web"), dns_probe.service_fqdn("web-ip")
    member = {hostname: dns_probe.pod_fqdn(hostname, "web") for hostname in ips}
    short_svc = f"{namespace}.svc"
    both = exactly(ips.values())
    srv_web = exactly(f"{PORT} {fqdn}" for fqdn in member.values())
    srv_web_ip = exactly({f"{PORT} {web_ip_name}"})
    full = {
        DnsQuestion(web): both,
        **{DnsQuestion(fqdn): exactly({ips[h]}) for h, fqdn in member.items()},
        DnsQuestion(f"_{PORT_NAME}._tcp.{web}", "SRV"): srv_web,
        DnsQuestion(f"_{PORT_NAME}._tcp.{web_ip_name}", "SRV"): srv_web_ip,
        **{DnsQuestion(reverse_name(ips[h]), "PTR"): including({fqdn}) for h, fqdn in member.items()},
        DnsQuestion(reverse_name(cluster_ip), "PTR"): exactly({web_ip_name}),
    }
    short = {
        **{DnsQuestion(name, search=True): both for name in ("web", f"web.{namespace}", f"web.{short_svc}")},
        **{DnsQuestion(f"{h}.web", search=True): exactly({ips[h]}) for h in member},
        DnsQuestion(f"_{PORT_NAME}._tcp.web.{short_svc}", "SRV", search=True): srv_web,
        DnsQuestion(f"_{PORT_NAME}._tcp.web-ip.{short_svc}", "SRV", search=True): srv_web_ip,
    }

    with step(f"observe: {len(full)} full names answered as expected over UDP and TCP"):
        wait_for(dns_probe.settled(over_udp_and_tcp(full), rounds=1))

    with step(f"observe: {len(short)} short names answered through the search path over UDP and TCP"):
        wait_for(dns_probe.settled(over_udp_and_tcp(short), rounds=1))
