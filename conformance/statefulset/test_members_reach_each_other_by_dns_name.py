"""The members of a StatefulSet find and reach each other by their stable per-pod DNS names, as the
members of a database replica set do: ``web-1.web`` from inside the namespace, and
``web-1.web.<namespace>.svc.<cluster domain>`` from anywhere."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.pod_network import PROBE_PORT, peers_reach_by_name

pytestmark = [pytest.mark.statefulset, pytest.mark.dns, pytest.mark.network]


def test_each_member_resolves_and_connects_to_every_other_by_its_pod_dns_name(
    make_headless_service, make_statefulset, step
) -> None:
    """With a headless Service web and a StatefulSet web of 3 (serviceName web) whose pods listen on TCP
    port 7000, each member web-N MUST, from inside its own container and through its own resolver,
    resolve every other member web-M both as web-M.web (completed by the pod's DNS search path) and as
    web-M.web.<namespace>.svc.<cluster domain> to web-M's pod IP, and open a TCP connection to it.

    Fails on: a cluster DNS that does not serve per-pod records of headless Services or a pod resolver
    without the namespace's search domain (``resolution failed``, with what dig saw: status NXDOMAIN, or
    "no servers could be reached" when no DNS server answers), stale records (``resolved to <IP>; not
    the pod's IP``), or a pod network that does not carry the connection (``connection failed``, with
    what nc said): every failing (member -> name) pair is named."""
    with step(f"arrange: headless Service web and StatefulSet web of 3 listening on TCP {PROBE_PORT}"):
        make_headless_service("web")
        web = make_statefulset("web", listen_port=PROBE_PORT)
        wait_for(web.ready(3))

    with step("observe: each member resolves and connects to the other two by short name and FQDN"):
        ips = wait_for(peers_reach_by_name(web, "web", 3))
        step.attach("\n".join(f"{n} {ip}" for n, ip in sorted(ips.items())), "members")
