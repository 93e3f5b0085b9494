"""The pods the suite runs are built as intended, and a failed DNS lookup says what happened."""

from __future__ import annotations

from kubernetes import client

from fixtures.resources.dns import dns_client_pod
from fixtures.resources.pods import dig_failure, toolbox_pod

IMAGE = "localhost/workload-conformance/toolbox:test"


def test_toolbox_pod_sleeps_and_stops_fast() -> None:
    pod = toolbox_pod("client", IMAGE)
    (container,) = pod.spec.containers
    assert (pod.metadata.name, container.name, container.image) == ("client", "main", IMAGE)
    assert container.command == ["sleep", "infinity"]
    assert container.image_pull_policy == "IfNotPresent"
    assert pod.spec.termination_grace_period_seconds == 1
    assert pod.spec.node_selector == {"kubernetes.io/os": "linux"}
    assert pod.spec.volumes is None and container.volume_mounts is None


def test_toolbox_pod_pinned_to_a_node_goes_through_the_scheduler() -> None:
    pod = toolbox_pod("p", IMAGE, node="kind-worker2", command=["nc", "-lk", "8080"], labels={"app": "x"})
    assert pod.spec.node_name is None
    assert pod.spec.node_selector == {"kubernetes.io/hostname": "kind-worker2", "kubernetes.io/os": "linux"}
    assert pod.spec.containers[0].command == ["nc", "-lk", "8080"]
    assert pod.metadata.labels == {"app": "x"}


def test_toolbox_pod_mounts_claims_and_takes_a_hostname_in_a_subdomain() -> None:
    pod = toolbox_pod(
        "m", IMAGE, hostname="m0", subdomain="members", volumes={"/data": "data", "/b": "other"}
    )
    assert (pod.spec.hostname, pod.spec.subdomain) == ("m0", "members")
    mounts = {m.mount_path: m.name for m in pod.spec.containers[0].volume_mounts}
    claims = {v.name: v.persistent_volume_claim.claim_name for v in pod.spec.volumes}
    assert {path: claims[volume] for path, volume in mounts.items()} == {"/data": "data", "/b": "other"}


def test_toolbox_pod_serialises_to_a_valid_manifest() -> None:
    manifest = client.ApiClient().sanitize_for_serialization(toolbox_pod("p", IMAGE, node="n1"))
    assert manifest["spec"]["nodeSelector"] == {"kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux"}
    assert manifest["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_dns_client_pod_uses_the_cluster_dns_unless_given_nameservers() -> None:
    assert dns_client_pod("dns-probe", IMAGE).spec.dns_policy is None
    pod = dns_client_pod("dns-probe", IMAGE, nameservers=["10.244.1.254"], searches=["svc.cluster.local"])
    assert pod.spec.dns_policy == "None"
    assert pod.spec.dns_config.nameservers == ["10.244.1.254"]
    assert pod.spec.dns_config.searches == ["svc.cluster.local"]
    assert pod.metadata.labels == {"app": "dns-probe"}


def test_dig_timeout_reads_as_a_timed_out_lookup() -> None:
    old = ";; connection timed out; no servers could be reached\n"
    new = ";; communications error to 10.96.0.10#53: timed out\n;; no servers could be reached\n"
    for output in (old, new):
        failure = dig_failure("kubernetes.default", "pod ns/dns-probe", 9, output)
        assert failure is not None and failure.timed_out
        assert str(failure).startswith(
            "DNS lookup of kubernetes.default from pod ns/dns-probe timed out: no DNS server answered"
        )
        assert str(failure).endswith(f"(dig: {' '.join(output.split(chr(10))).strip()})")


def test_dig_refusal_is_not_called_a_timeout() -> None:
    output = ";; communications error to 10.96.0.10#53: connection refused\n;; no servers could be reached\n"
    failure = dig_failure("x", "pod ns/p", 9, output)
    assert failure is not None and not failure.timed_out
    assert "failed: no DNS server could be reached" in str(failure)


def test_dig_answer_is_no_failure() -> None:
    assert dig_failure("x", "pod ns/p", 0, "10.96.0.1\n") is None
    assert dig_failure("x", "pod ns/p", 0, "") is None  # NXDOMAIN: +short prints nothing
