"""A StatefulSet pod's DNS name follows the pod: once it is replaced, every DNS server of the cluster
answers the new pod's address for the name, and keeps doing so."""

from __future__ import annotations

import pytest

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for
from fixtures.resources.dns_answers import DnsQuestion, exactly

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]


def test_a_replaced_pod_name_resolves_to_the_new_pod(
    make_headless_service, make_statefulset, dns_probe, namespace, step
) -> None:
    """Once every server of the cluster DNS (each ready endpoint of its Service, asked directly by its
    address) answers web-N.web.<ns> with web-N's IP, 3 rounds in a row: after web-1 is deleted and the
    StatefulSet replaces it, web-1.web.<ns> MUST answer exactly the new pod's IP, and web-0 and web-2 MUST
    keep answering their own, from EVERY server in 3 rounds in a row.

    Fails on: a cluster DNS that keeps serving the old pod's address or never publishes the replacement,
    even from one of its servers (a replica cut off from the API server, say: the server and its stale
    answer or NXDOMAIN are named)."""
    with step("arrange: headless Service web and StatefulSet web of 3, every server answering each name"):
        make_headless_service("web")
        web = make_statefulset("web")
        _, pods = wait_for(web.ready(3))
        names = {o: DnsQuestion(dns_probe.pod_fqdn(f"web-{o}", "web")) for o in pods}
        wait_for(dns_probe.settled({names[o]: exactly({p.status.pod_ip}) for o, p in pods.items()}))
        step.attach("\n".join(str(s) for s in dns_probe.servers()), "the DNS servers asked")

    old = pods[1].status.pod_ip
    with step(f"act: delete web-1 ({old})"):
        web.delete_pod(1)

    with step("observe: every DNS server answers web-1.web with the new web-1's IP, 3 rounds in a row"):
        new = wait_for(web.replaced("web-1", pods[1].metadata.uid)).status.pod_ip
        step.attach(f"old {old}\nnew {new}", "web-1 IPs")
        if new == old:  # a stale answer would look right: nothing could be judged
            raise NotVerified(
                f"the new web-1 got the old pod's IP {old}, so a stale DNS answer cannot be told from a "
                "fresh one",
                remedy="rerun: the pod network's IPAM handed the same address out again at once",
            )
        wanted = {names[1]: exactly({new})}
        wanted |= {names[o]: exactly({pods[o].status.pod_ip}) for o in (0, 2)}
        wait_for(
            dns_probe.settled(wanted).described(
                f"every DNS server answers {names[1].name} with the new pod's IP {new} alone (was {old}), "
                "and web-0 and web-2 their own, 3 rounds in a row"
            )
        )
