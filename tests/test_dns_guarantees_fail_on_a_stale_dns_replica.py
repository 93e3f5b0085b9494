"""The DNS guarantees judge every DNS server, so they fail on a cluster where one of two CoreDNS replicas
keeps serving what it saw before a change, which one right answer through the DNS Service IP would pass
about every other time.

Each case runs one guarantee in an inner pytest while a thread waits until the guarantee's StatefulSet web
has its three pods Ready and the chosen replica answers each web-N name with its pod's address (or a web
pod is deleted or turns unready first), then cuts that replica off from the API server
(breakers.dns_replica); CoreDNS is mended afterwards, also when the case fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from breakers.dns_replica import coredns_replica_cut_off
from test_guarantees_fail_on_broken_clusters import run_guarantee

from clusters.kube.labels import APP_LABEL, TEST_LABEL
from fixtures.facts.cluster_dns import DnsServer
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.dns import PROBE_POD
from fixtures.resources.dns_answers import DnsQuestion, ask, exactly, wrong_answers
from fixtures.resources.namespaces import label_for_test
from fixtures.resources.pods import is_ready

pytestmark = pytest.mark.disruptive

REPLACEMENT = "conformance/dns/test_pod_records_follow_replacement.py"
UNREADY = "conformance/dns/test_unready_pods_are_unpublished.py"


def web_known_to_the_replica(wc_cluster: ClusterUnderTest, test: str) -> Callable[[DnsServer], str | None]:
    """The trigger: a reason to cut once the guarantee ``test``'s pods web-0..2 are Ready and ``server``
    answers each web-N.web with its address (asked from the guarantee's own DNS client pod), or as soon as
    a web pod seen Ready is deleted or unready; None before."""
    core, seen_ready = wc_cluster.core, set()
    since = datetime.now(UTC).replace(microsecond=0)

    def when(server: DnsServer) -> str | None:
        namespaces = [
            n.metadata.name
            for n in core.list_namespace(label_selector=f"{TEST_LABEL}={label_for_test(test)}").items
            if n.metadata.creation_timestamp >= since and n.status.phase == "Active"
        ]
        if len(namespaces) != 1:
            return None
        namespace = namespaces[0]
        pods = {
            p.metadata.name: p
            for p in core.list_namespaced_pod(namespace, label_selector=f"{APP_LABEL}=web").items
        }
        changed = sorted(
            name
            for name in seen_ready
            if name not in pods or pods[name].metadata.deletion_timestamp or not is_ready(pods[name])
        )
        if changed:
            return f"{', '.join(changed)} deleted or unready before {server} was seen answering"
        seen_ready.update(name for name, pod in pods.items() if is_ready(pod))
        if seen_ready != {"web-0", "web-1", "web-2"}:
            return None
        expected = {DnsQuestion(f"{n}.web", search=True): exactly({p.status.pod_ip}) for n, p in pods.items()}
        if wrong_answers(expected, ask(core, namespace, PROBE_POD, expected, [server])):
            return None
        return f"{server} answered " + ", ".join(f"{n} {p.status.pod_ip}" for n, p in sorted(pods.items()))

    return when


def listed(addresses: list[str]) -> str:
    """A regex for the sorted addresses as an answer prints them: ['a', 'b']."""
    return r"\[" + ", ".join(f"'{re.escape(a)}'" for a in sorted(addresses)) + r"\]"


def old_address_kept(ips: dict[str, str]) -> str:
    """web-1.web still answered with the replaced pod's address."""
    kept = listed([ips["web-1"]])
    return rf"A web-1\.web\.\S+ over UDP: NOERROR {kept}, expected NOERROR exactly \['[\d.]+'\]"


def unready_pod_kept(ips: dict[str, str]) -> str:
    """web still answered with the unready web-1's address among the others."""
    others = [ip for name, ip in ips.items() if name != "web-1"]
    every = listed(list(ips.values()))
    return rf"A web\.\S+ over UDP: NOERROR {every}, expected NOERROR exactly {listed(others)}"


@pytest.mark.parametrize(
    ("guarantee", "test", "wrong"),
    [
        pytest.param(
            REPLACEMENT,
            "test_a_replaced_pod_name_resolves_to_the_new_pod",
            old_address_kept,
            id="replaced-pod",
        ),
        pytest.param(
            UNREADY,
            "test_an_unready_pod_leaves_dns_unless_the_service_publishes_not_ready_addresses",
            unready_pod_kept,
            id="unready-pod",
        ),
    ],
)
def test_dns_guarantee_fails_naming_the_coredns_replica_cut_off_from_the_api_server(
    wc_cluster: ClusterUnderTest, guarantee: str, test: str, wrong: Callable[[dict[str, str]], str]
) -> None:
    """The guarantee fails naming the cut replica and the answer it kept from before the change: the
    replaced web-1's address, or the unready web-1's address in web."""
    if wc_cluster.kind is None:
        pytest.skip(
            "needs a kind cluster brought up by this suite to enter a CoreDNS pod's network namespace"
        )
    with coredns_replica_cut_off(wc_cluster.api, web_known_to_the_replica(wc_cluster, test)) as cut:
        result = run_guarantee(wc_cluster, f"{guarantee}::{test}")
    output = result.stdout + result.stderr
    assert cut.reason and not cut.error, f"the replica was not cut off: {cut.error}\n{output[-3000:]}"
    ips = dict(re.findall(r"(web-\d) ([\d.]+)", cut.reason))
    assert set(ips) == {"web-0", "web-1", "web-2"}, f"cut off before it answered every web pod: {cut.reason}"
    assert result.returncode == 1, output[-3000:]
    failure = re.search(rf"last seen: .*from {re.escape(str(cut.server))}: {wrong(ips)}", output)
    assert failure, f"the stale replica {cut.server} is not named with its answer:\n{output[-3000:]}"
    assert output.strip().splitlines()[-1] == "NOT CONFORMANT: 1 broken", output[-3000:]
    assert "Traceback" not in output
