"""Judging DNS answers: dig's output read per record type, many lookups in one exec split apart, the DNS
Service's servers read from its EndpointSlices, and answers after a change judged at every server over
rounds in a row (outputs recorded from CoreDNS 1.14 on kind)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client

from clusters.kube.waits import NotYet
from fixtures.facts.cluster_dns import DnsServer, dns_servers
from fixtures.resources.dns import DnsProbe
from fixtures.resources.dns_answers import (
    NO_SUCH_NAME,
    DnsAnswer,
    DnsQuestion,
    dig_script,
    exactly,
    including,
    parse_dig,
    parse_script_output,
    reverse_name,
    wrong_answers,
)
from fixtures.resources.pods import DnsLookupError

SRV_OUTPUT = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 17849
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 3
;; ANSWER SECTION:
_http._tcp.h.ns.svc.cluster.local. 30\tIN SRV 0 50 80 p.h.ns.svc.cluster.local.
_http._tcp.h.ns.svc.cluster.local. 30\tIN SRV 0 50 80 q.h.ns.svc.cluster.local.
"""
PTR_OUTPUT = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 63863
;; ANSWER SECTION:
200.1.244.10.in-addr.arpa. 30\tIN\tPTR\tp.h.ns.svc.cluster.local.
200.1.244.10.in-addr.arpa. 30\tIN\tPTR\t10-244-1-200.hip.ns.svc.cluster.local.
"""
TIMEOUT_OUTPUT = """\
;; communications error to 10.244.9.9#53: timed out
; <<>> DiG 9.18.49-1~deb12u1-Debian <<>> @10.244.9.9 +time=1 +tries=1 A x
;; no servers could be reached
"""


def a_output(name: str, *addresses: str) -> str:
    records = "".join(f"{name} 30 IN A {a}\n" for a in addresses)
    return f";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\n;; ANSWER SECTION:\n{records}"


def test_srv_and_ptr_answers_keep_port_and_target() -> None:
    srv = parse_dig("_http._tcp.h.ns.svc.cluster.local.", "pod ns/p", 0, SRV_OUTPUT, "SRV")
    assert srv.records == ("80 p.h.ns.svc.cluster.local.", "80 q.h.ns.svc.cluster.local.")
    assert srv.addresses == ()
    ptr = parse_dig(reverse_name("10.244.1.200"), "pod ns/p", 0, PTR_OUTPUT, "PTR")
    assert ptr.name == "200.1.244.10.in-addr.arpa."
    assert including({"p.h.ns.svc.cluster.local."}).holds(ptr)
    assert not exactly({"p.h.ns.svc.cluster.local."}).holds(ptr)
    with pytest.raises(ValueError):
        exactly(())


def test_the_answers_of_one_exec_are_split_per_server_and_question() -> None:
    one, two = DnsServer("10.244.0.2", pod="coredns-a"), DnsServer("10.244.0.4", pod="coredns-b")
    question = DnsQuestion("web-1.web.ns.svc.cluster.local.")
    asked = [(None, question), (one, question), (two, question)]
    script = dig_script(asked)
    assert "dig @10.244.0.4 -p 53 +noall +comments +answer" in script and script.count("@@wc-dig-end") == 3
    output = (
        a_output(question.name, "10.244.1.9")
        + "@@wc-dig-end 0\n"
        + TIMEOUT_OUTPUT
        + "@@wc-dig-end 9\n"
        + a_output(question.name, "10.244.1.9")
    )  # the exec ended before the third end line
    replies = parse_script_output(asked, output, "pod ns/dns-probe")
    assert replies[(None, question)] == DnsAnswer(question.name, "NOERROR", ("10.244.1.9",))
    assert isinstance(replies[(one, question)], DnsLookupError) and replies[(one, question)].timed_out
    assert "asking 10.244.0.2#53 (coredns-a)" in str(replies[(one, question)])
    assert "did not finish" in str(replies[(two, question)])


def test_a_server_still_answering_the_old_address_is_named() -> None:
    fresh, stale = DnsServer("10.244.0.2", pod="coredns-a"), DnsServer("10.244.0.4", pod="coredns-b")
    web_1, gone = (
        DnsQuestion("web-1.web.ns.svc.cluster.local."),
        DnsQuestion("web-9.web.ns.svc.cluster.local."),
    )
    expected = {web_1: exactly({"10.244.1.200"}), gone: NO_SUCH_NAME}
    replies = {
        (None, web_1): DnsAnswer(web_1.name, "NOERROR", ("10.244.1.200",)),
        (fresh, web_1): DnsAnswer(web_1.name, "NOERROR", ("10.244.1.200",)),
        (stale, web_1): DnsAnswer(web_1.name, "NOERROR", ("10.244.1.183",)),
        (None, gone): DnsAnswer(gone.name, "NXDOMAIN", ()),
        (fresh, gone): DnsAnswer(gone.name, "NXDOMAIN", ()),
    }
    assert wrong_answers(expected, replies) == [
        "from 10.244.0.4#53 (coredns-b): A web-1.web.ns.svc.cluster.local. over UDP: NOERROR "
        "['10.244.1.183'], expected NOERROR exactly ['10.244.1.200']",
        "from 10.244.0.4#53 (coredns-b): A web-9.web.ns.svc.cluster.local. over UDP: not asked, "
        "expected NXDOMAIN",
    ]
    with pytest.raises(ValueError):
        wrong_answers(expected, {})


def _endpoint(address: str, pod: str, ready: bool | None) -> client.V1Endpoint:
    return client.V1Endpoint(
        addresses=[address],
        conditions=client.V1EndpointConditions(ready=ready),
        target_ref=client.V1ObjectReference(kind="Pod", name=pod, namespace="kube-system"),
    )


def test_the_dns_servers_are_the_ready_endpoints_with_the_udp_port() -> None:
    ports = [
        client.DiscoveryV1EndpointPort(name="dns-tcp", port=5353, protocol="TCP"),
        client.DiscoveryV1EndpointPort(name="dns", port=1053, protocol="UDP"),
    ]
    endpoints = [
        _endpoint("10.244.0.4", "coredns-b", True),
        _endpoint("10.244.0.2", "coredns-a", None),
        _endpoint("10.244.0.9", "coredns-starting", False),
    ]
    slices = [client.V1EndpointSlice(address_type="IPv4", endpoints=endpoints, ports=ports)]
    assert dns_servers(slices) == [
        DnsServer("10.244.0.2", 1053, "coredns-a"),
        DnsServer("10.244.0.4", 1053, "coredns-b"),
    ]
    assert dns_servers([]) == []


@pytest.fixture
def scripted_probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DnsProbe, list[str]]]:
    """A DnsProbe whose servers answer web-1 from a script of rounds: "new" or "old" per round, for the
    second of two servers (the first always answers the new address)."""
    rounds: list[str] = []
    fresh, other = DnsServer("10.244.0.2"), DnsServer("10.244.0.4")
    question = DnsQuestion("web-1.web.ns.svc.cluster.local.")

    def ask(self: DnsProbe, questions: list[DnsQuestion], *, every_server: bool = False) -> dict:
        second = {"new": "10.244.1.200", "old": "10.244.1.183"}[rounds.pop(0)]
        return {
            (None, question): DnsAnswer(question.name, "NOERROR", ("10.244.1.200",)),
            (fresh, question): DnsAnswer(question.name, "NOERROR", ("10.244.1.200",)),
            (other, question): DnsAnswer(question.name, "NOERROR", (second,)),
        }

    monkeypatch.setattr(DnsProbe, "ask", ask)
    yield DnsProbe(None, "ns", "dns-probe", "kube-system/kube-dns"), rounds  # type: ignore[arg-type]


def test_an_answer_settles_only_after_rounds_in_a_row_right_at_every_server(scripted_probe) -> None:
    dns_probe, rounds = scripted_probe
    rounds += ["new", "new", "old", "new", "new", "new"]
    probe = dns_probe.settled({DnsQuestion("web-1.web.ns.svc.cluster.local."): exactly({"10.244.1.200"})})
    seen = []
    for _ in range(5):
        with pytest.raises(NotYet) as not_yet:
            probe.check()
        seen.append(str(not_yet.value))
    assert seen[:2] == [
        "1 of 3 rounds in a row right (2 DNS servers asked directly)",
        "2 of 3 rounds in a row right (2 DNS servers asked directly)",
    ]
    assert seen[2].startswith(
        "from 10.244.0.4#53: A web-1.web.ns.svc.cluster.local. over UDP: NOERROR ['10.244.1.183']"
    )
    assert seen[3:] == [
        "1 of 3 rounds in a row right (2 DNS servers asked directly)",
        "2 of 3 rounds in a row right (2 DNS servers asked directly)",
    ]
    assert probe.check() == 2
