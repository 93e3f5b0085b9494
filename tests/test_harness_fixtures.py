"""The harness's run-wide fixtures MUST tell the truth about the cluster: the preflight facts, the order
pod events happened in, what a pod's DNS lookup returns, and what a failed test left in its namespace."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.facts.preflight import Preflight
from fixtures.observation.event_recorder import (
    ADDED,
    DELETED,
    READY,
    ApiPodSource,
    PodEventRecorder,
    deleted,
    first_seen,
)
from fixtures.plugin.run import PodEvents
from fixtures.resources.dns import DnsProbe, start_dns_probe
from fixtures.resources.pods import DnsLookupError, create_pod_and_wait, toolbox_pod

pytest_plugins = ["pytester"]


@pytest.fixture
def image(wc_cluster: ClusterUnderTest) -> str:
    """The toolbox image of the test pods; with --wc-provider=existing it must be given."""
    if not wc_cluster.toolbox_image:
        pytest.skip("no toolbox image for the test pods: pass --wc-toolbox-image IMAGE")
    return wc_cluster.toolbox_image


# --- preflight --------------------------------------------------------------------------------------


def test_preflight_reads_the_kind_cluster_this_suite_brings_up(
    preflight: Preflight, wc_cluster: ClusterUnderTest, pytestconfig: pytest.Config
) -> None:
    """Nodes, storage, CNI and runtime MUST be those of the default kind topology (1 + 3 nodes)."""
    if wc_cluster.kind is None:
        pytest.skip("the expected facts are those of a kind cluster this suite brings up")
    facts = pytestconfig.hook.pytest_wc_cluster_facts(config=pytestconfig)
    plugin_facts = {k: v for k, v in facts.items() if k not in preflight.facts()}
    assert {k: v for k, v in facts.items() if k not in plugin_facts} == preflight.facts()
    assert plugin_facts["cni_installed"] == "the cluster's own"
    assert plugin_facts["storage_class_under_test"].startswith("standard (rancher.io/local-path, ")
    assert facts["kubernetes_version"] == wc_cluster.version
    # how many workers are schedulable right now depends on other runs' taints on a shared cluster
    assert facts["nodes"].startswith("4 (1 control-plane, ") and facts["nodes"].endswith(", all Ready")
    assert [n.control_plane for n in preflight.nodes].count(False) == 3
    assert (facts["default_storage_class"], facts["storage_provisioner"]) == (
        "standard",
        "rancher.io/local-path",
    )
    assert facts["cni"].startswith("kindnet ")
    assert facts["container_runtime"].startswith("containerd://")
    assert facts["kind_version"] == wc_cluster.kind.toolchain.kind_version
    assert facts["node_image"]
    assert facts["cgroup_version"] in ("v1", "v2")
    assert preflight.dns.service == "kube-system/kube-dns" and preflight.dns.ready_endpoints
    assert not preflight.problems


def test_schedulable_workers_leave_out_the_tainted_control_plane(
    preflight: Preflight, require_workers: object
) -> None:
    control_planes = [n for n in preflight.nodes if n.control_plane]
    workers = require_workers(1)  # type: ignore[operator]
    assert workers == [n.name for n in preflight.schedulable_workers]
    for node in control_planes:
        assert (node.name in workers) == node.schedulable


@pytest.mark.min_workers(2)
@pytest.mark.storage
@pytest.mark.dns
def test_a_cluster_that_can_host_the_test_does_not_skip_it(preflight: Preflight) -> None:
    assert len(preflight.schedulable_workers) >= 2


# --- pod events -------------------------------------------------------------------------------------


def test_recorder_sees_creation_readiness_and_deletion_in_order(
    wc_cluster: ClusterUnderTest, namespace: str, pod_events: PodEvents, image: str
) -> None:
    """Two pods created one after the other, the first deleted: the recorded order and UIDs MUST match."""
    core = wc_cluster.core
    recorder = pod_events("app=ordered")
    first = create_pod_and_wait(core, namespace, toolbox_pod("first", image, labels={"app": "ordered"}))
    second = create_pod_and_wait(core, namespace, toolbox_pod("second", image, labels={"app": "ordered"}))
    create_pod_and_wait(core, namespace, toolbox_pod("unrelated", image, labels={"app": "other"}))
    core.delete_namespaced_pod("first", namespace, grace_period_seconds=1)
    gone = wait_for(
        recorder.probe(lambda records: deleted(records, "first"), "pod first DELETED").within(120)
    )

    assert recorder.order_of(ADDED) == ["first", "second"], recorder.timeline()
    assert recorder.order_of(READY) == ["first", "second"], recorder.timeline()
    assert recorder.order_of(DELETED) == ["first"], recorder.timeline()
    assert recorder.uids_of("first") == [first.metadata.uid]
    assert recorder.uids_of("second") == [second.metadata.uid]
    assert gone.uid == first.metadata.uid
    ready, terminating = recorder.first_ready("first"), recorder.deletion_started("first")
    assert ready is not None and terminating is not None
    assert (
        ready.monotonic <= recorder.first_seen("second").monotonic <= terminating.monotonic <= gone.monotonic
    )
    assert ready.node == first.spec.node_name and ready.phase == "Running"
    assert first_seen(recorder.records, "unrelated") is None  # outside the label selector
    assert not recorder.errors and recorder.relists == 0


class ExpiresOnce(ApiPodSource):
    """Starts its first watch from a resourceVersion the server has compacted away: 410 Gone."""

    expired = False

    def watch(self, resource_version: str):  # type: ignore[no-untyped-def]
        if not self.expired:
            self.expired = True
            resource_version = "1"
        return super().watch(resource_version)


def test_recorder_relists_after_the_watch_expires(
    wc_cluster: ClusterUnderTest, namespace: str, image: str
) -> None:
    source = ExpiresOnce(wc_cluster.api, namespace)
    recorder = PodEventRecorder(source, description=source.describe()).start()

    def seen_in_snapshot(question, description: str, timeout: float):  # type: ignore[no-untyped-def]
        """A wait over everything recorded, gap or not (judging from it is what a gap forbids)."""

        def check():  # type: ignore[no-untyped-def]
            answer = question(recorder.snapshot())
            if answer is None:
                raise NotYet(f"{len(recorder.snapshot())} events, {recorder.relists} relist(s)")
            return answer

        return wait_for(Probe(check, description, subject=source.describe(), timeout=timeout, interval=0.2))

    try:
        seen_in_snapshot(lambda records: True if recorder.relists else None, "a relist after 410", 30)
        created = wc_cluster.core.create_namespaced_pod(namespace, toolbox_pod("late", image))
        seen = seen_in_snapshot(lambda records: first_seen(records, "late"), "pod late seen", 60)
    finally:
        recorder.stop()
    assert seen.uid == created.metadata.uid and seen.kind == ADDED
    assert recorder.relists == 1 and not recorder.errors
    with pytest.raises(NotVerified, match="the watch expired 1 time"):
        recorder.order_of(ADDED)  # the relist is a gap: no judgement may be made from these records


# --- DNS --------------------------------------------------------------------------------------------


def test_dns_probe_resolves_the_kubernetes_service(wc_cluster: ClusterUnderTest, dns_probe: DnsProbe) -> None:
    service_ip = wc_cluster.core.read_namespaced_service("kubernetes", "default").spec.cluster_ip
    assert dns_probe("kubernetes.default") == [service_ip]
    assert dns_probe("kubernetes.default.svc.cluster.local") == [service_ip]


def test_dns_lookup_with_no_answering_server_says_it_timed_out(
    wc_cluster: ClusterUnderTest, namespace: str, preflight: Preflight, image: str
) -> None:
    """A nameserver nobody answers on (an unused pod IP) MUST give a failure that says "timed out"."""
    node = wc_cluster.core.read_node(preflight.schedulable_workers[0].name)
    silent = str(ipaddress.ip_network(node.spec.pod_cidr)[-2])
    probe = start_dns_probe(
        wc_cluster.core,
        namespace,
        image,
        nameservers=[silent],
        searches=["svc.cluster.local"],
    )
    with pytest.raises(
        DnsLookupError, match=r"DNS lookup of kubernetes\.default from pod .* timed out"
    ) as failure:
        probe("kubernetes.default")
    assert failure.value.timed_out


# --- diagnostics ------------------------------------------------------------------------------------

FAILS_AFTER_MAKING_A_POD = """
from fixtures.resources.pods import create_pod_and_wait, toolbox_pod


def test_fails_after_making_a_pod(wc_cluster, namespace):
    pod = toolbox_pod("evidence", wc_cluster.toolbox_image, labels={"app": "evidence"},
                      command=["sh", "-c", "echo evidence-log-line; exec sleep infinity"])
    create_pod_and_wait(wc_cluster.core, namespace, pod)
    assert False, "deliberate failure"
"""


def test_failed_test_gets_its_namespace_objects_events_logs_and_node_conditions(
    pytester: pytest.Pytester, inner_cluster_args: list[str], preflight: Preflight, image: str
) -> None:
    pytester.makepyfile(test_inner=FAILS_AFTER_MAKING_A_POD)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wc-report-dir", "out", *inner_cluster_args, timeout=300
    )
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    section = output[output.index("- diagnostics of namespace wc-fails-after-making-a-pod-") :]
    for expected in (
        "##### objects in wc-fails-after-making-a-pod-",
        "kind: Pod",
        "  name: evidence",
        "##### events in wc-fails-after-making-a-pod-",
        "Pod/evidence Scheduled",
        "=== pod evidence container main (last 100 lines)\nevidence-log-line",
        "##### node conditions",
        *(f"{node.name}: " for node in preflight.nodes),
    ):
        assert expected in section, section

    run = json.loads(next(Path(pytester.path, "out").glob("summary.json")).read_text())
    (verdict,) = run["guarantees"]
    attachments = {a["name"].split(" in ")[0]: a for a in verdict["diagnosis"]["attachments"]}
    assert {"objects", "events", "logs", "node conditions"} <= attachments.keys()
    assert "name: evidence" in attachments["objects"]["text"]
    assert attachments["objects"]["content_type"] == "application/yaml"
    assert "Pod/evidence Started" in attachments["events"]["text"]
    assert run["facts"]["default_storage_class"] == preflight.facts()["default_storage_class"]

    allure_results = Path(pytester.path, "out", "allure-results")
    (test_result,) = [
        json.loads(p.read_text())
        for p in allure_results.glob("*-result.json")
        if "fails_after" in p.read_text()
    ]
    named = {a["name"]: allure_results / a["source"] for a in test_result.get("attachments", [])}
    objects = next(path for name, path in named.items() if name.startswith("objects in "))
    assert "name: evidence" in objects.read_text()
    events = next(path for name, path in named.items() if name.startswith("events in "))
    assert "Pod/evidence Scheduled" in events.read_text()
