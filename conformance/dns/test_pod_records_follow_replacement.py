"""A StatefulSet pod's DNS name follows the pod: once it is replaced, the name resolves to the new pod."""

from __future__ import annotations

import pytest

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]


def test_a_replaced_pod_name_resolves_to_the_new_pod(
    make_headless_service, make_statefulset, dns_probe, namespace, step
) -> None:
    """After web-1 is deleted and the StatefulSet replaces it, web-1.web.<ns> MUST answer exactly the new
    pod's IP, and web-0 and web-2 MUST keep answering their own.

    Fails on: a cluster DNS that keeps serving the old pod's address (the stale answer is named) or never
    publishes the replacement (NXDOMAIN is named)."""
    with step("arrange: headless Service web and StatefulSet web of 3, each pod name resolving"):
        make_headless_service("web")
        web = make_statefulset("web")
        _, pods = wait_for(web.ready(3))
        for pod in sorted(pods.values(), key=lambda p: p.metadata.name):
            wait_for(dns_probe.answers(dns_probe.pod_fqdn(pod.metadata.name, "web"), {pod.status.pod_ip}))

    old = pods[1].status.pod_ip
    with step(f"act: delete web-1 ({old})"):
        web.delete_pod(1)

    with step("observe: web-1.web resolves to the new web-1's IP"):
        new = wait_for(web.replaced("web-1", pods[1].metadata.uid)).status.pod_ip
        step.attach(f"old {old}\nnew {new}", "web-1 IPs")
        if new == old:  # a stale answer would look right: nothing could be judged
            raise NotVerified(
                f"the new web-1 got the old pod's IP {old}, so a stale DNS answer cannot be told from a "
                "fresh one",
                remedy="rerun: the pod network's IPAM handed the same address out again at once",
            )
        fqdn = dns_probe.pod_fqdn("web-1", "web")
        wait_for(
            dns_probe.answers(fqdn, {new}).described(
                f"{fqdn} answers the new pod's IP {new} alone (was {old})"
            )
        )
        for ordinal in (0, 2):
            fqdn = dns_probe.pod_fqdn(f"web-{ordinal}", "web")
            ip = pods[ordinal].status.pod_ip
            wait_for(dns_probe.answers(fqdn, {ip}).described(f"{fqdn} still answers {ip}"))
