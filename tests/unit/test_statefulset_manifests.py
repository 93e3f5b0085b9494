"""The StatefulSets and headless Services the guarantees create are built as intended, the probes read
names and status as the API reports them, and a DNS answer's status is read from dig's header."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.labels import APP_LABEL
from fixtures.resources.cluster_domain import domain_from_resolv_conf, pod_fqdn
from fixtures.resources.dns_answers import NXDOMAIN, parse_dig
from fixtures.resources.pods import DnsLookupError
from fixtures.resources.statefulset_manifests import (
    DATA_DIR,
    READY_FILE,
    claim_name,
    headless_service_manifest,
    ordinal_of,
    retention,
    rolling_update,
    statefulset_manifest,
)
from fixtures.resources.statefulsets import status_gaps

IMAGE = "localhost/workload-conformance/toolbox:test"


def test_default_statefulset_is_ordered_ready_and_stops_fast() -> None:
    sts = statefulset_manifest("web", IMAGE)
    spec = sts.spec
    assert (spec.replicas, spec.service_name, spec.pod_management_policy) == (3, "web", "OrderedReady")
    assert spec.selector.match_labels == spec.template.metadata.labels == {APP_LABEL: "web"}
    (container,) = spec.template.spec.containers
    assert container.command == ["sleep", "infinity"] and container.readiness_probe is None
    assert container.image_pull_policy == "IfNotPresent"
    assert spec.template.spec.termination_grace_period_seconds == 1
    assert spec.volume_claim_templates is None and spec.update_strategy is None


def test_readiness_file_gates_readiness_and_start_ready_creates_it() -> None:
    held = statefulset_manifest("web", IMAGE, readiness_file=True).spec.template.spec.containers[0]
    assert held.readiness_probe._exec.command == ["test", "-f", READY_FILE]
    assert held.readiness_probe.period_seconds == 1
    assert held.command == ["sleep", "infinity"]
    ready = statefulset_manifest("web", IMAGE, readiness_file=True, start_ready=True).spec.template.spec
    assert READY_FILE in ready.containers[0].command[-1]


def test_volume_claim_template_is_mounted_and_policies_are_passed_through() -> None:
    sts = statefulset_manifest(
        "web",
        IMAGE,
        volume_claim="data",
        retention_policy=retention(when_deleted="Delete"),
        update_strategy=rolling_update(partition=2),
        pod_management_policy="Parallel",
        service_name="nowhere",
        ordinals_start=5,
    )
    (template,) = sts.spec.volume_claim_templates
    assert template.metadata.name == "data" and template.spec.storage_class_name is None
    assert template.spec.access_modes == ["ReadWriteOnce"]
    (mount,) = sts.spec.template.spec.containers[0].volume_mounts
    assert (mount.name, mount.mount_path) == ("data", DATA_DIR)
    policy = sts.spec.persistent_volume_claim_retention_policy
    assert (policy.when_deleted, policy.when_scaled) == ("Delete", "Retain")
    assert sts.spec.update_strategy.rolling_update.partition == 2
    assert (sts.spec.pod_management_policy, sts.spec.service_name) == ("Parallel", "nowhere")
    assert sts.spec.ordinals.start == 5
    manifest = client.ApiClient().sanitize_for_serialization(sts)
    assert manifest["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Delete",
        "whenScaled": "Retain",
    }
    assert manifest["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}


def test_headless_service_has_no_cluster_ip_and_publishes_not_ready_only_when_asked() -> None:
    plain = headless_service_manifest("web", {APP_LABEL: "web"})
    assert plain.spec.cluster_ip == "None" and plain.spec.selector == {APP_LABEL: "web"}
    assert plain.spec.publish_not_ready_addresses is None
    assert headless_service_manifest("w", {}, publish_not_ready=True).spec.publish_not_ready_addresses


@pytest.mark.parametrize(
    ("name", "ordinal"),
    [("web-0", 0), ("web-12", 12), ("web-01", None), ("web-x", None), ("web2-1", None), ("web-", None)],
)
def test_ordinal_of_reads_only_set_pod_names(name: str, ordinal: int | None) -> None:
    assert ordinal_of("web", name) == ordinal


def test_names_of_claims_and_pod_records() -> None:
    assert claim_name("data", "web", 1) == "data-web-1"
    assert pod_fqdn("web-1", "web", "ns", "example.internal") == "web-1.web.ns.svc.example.internal."


def _sts(generation: int, observed: int, **status: object) -> client.V1StatefulSet:
    sts = statefulset_manifest("web", IMAGE)
    sts.metadata.generation = generation
    sts.status = client.V1StatefulSetStatus(observed_generation=observed, **status)
    return sts


def test_status_is_judged_only_once_the_generation_is_observed() -> None:
    stale = _sts(3, 2, replicas=3, ready_replicas=3)
    assert status_gaps(stale, 3, settled=False) == ["status.observedGeneration 2 < generation 3"]
    rolling = _sts(
        3, 3, replicas=3, ready_replicas=3, current_replicas=2, updated_replicas=1,
        current_revision="web-a", update_revision="web-b",
    )  # fmt: skip
    assert status_gaps(rolling, 3, settled=False) == []
    assert status_gaps(rolling, 3, settled=True) == [
        "status.currentReplicas: 2 != 3",
        "status.updatedReplicas: 1 != 3",
        "status.currentRevision web-a != updateRevision web-b",
    ]


NXDOMAIN_OUTPUT = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 4711
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
"""
ANSWER_OUTPUT = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1

web.ns.svc.cluster.local. 5 IN A 10.244.2.7
web.ns.svc.cluster.local. 5 IN A 10.244.1.3
"""


def test_dig_status_tells_nxdomain_from_an_answer_and_from_a_timeout() -> None:
    missing = parse_dig("a.b.ns.svc.cluster.local.", "pod ns/p", 0, NXDOMAIN_OUTPUT)
    assert (missing.status, missing.addresses) == (NXDOMAIN, ())
    found = parse_dig("web.ns.svc.cluster.local.", "pod ns/p", 0, ANSWER_OUTPUT)
    assert (found.status, found.addresses) == ("NOERROR", ("10.244.1.3", "10.244.2.7"))
    with pytest.raises(DnsLookupError, match="timed out") as caught:
        parse_dig("x.", "pod ns/p", 9, ";; communications error to 10.96.0.10#53: timed out\n")
    assert caught.value.timed_out


def test_the_cluster_domain_is_read_from_the_pods_search_path() -> None:
    resolv = "search ns.svc.cluster.example svc.cluster.example cluster.example\nnameserver 10.96.0.10\n"
    assert domain_from_resolv_conf(resolv, "ns") == "cluster.example"
    assert domain_from_resolv_conf("nameserver 10.96.0.10\n", "ns") is None
    assert domain_from_resolv_conf("search other.svc.cluster.local\n", "ns") is None
