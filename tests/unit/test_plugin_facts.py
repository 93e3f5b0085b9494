"""What the report says about the CNI and the StorageClass under test."""

from __future__ import annotations

from pathlib import Path

from clusters.addons import CNI, STORAGE, Addon
from fixtures.facts.plugin_facts import cni_name, plugin_facts
from fixtures.facts.preflight import Preflight
from fixtures.facts.storage_binding import BindVerdict
from fixtures.facts.storage_classes import StorageClassInfo
from fixtures.plugin.options import Options

BASE = Options(
    provider="kind",
    kubeconfig=None,
    context=None,
    cluster_name="wc",
    topology=None,
    toolchain=None,
    keep_cluster=False,
    keep_on_failure=False,
)
CLASSES = (
    StorageClassInfo("standard", "rancher.io/local-path", default=True, binding_mode="WaitForFirstConsumer"),
    StorageClassInfo("fast", "csi.example.org", binding_mode="Immediate"),
)


def options(**changes: object) -> Options:
    return Options(**{**BASE.__dict__, **changes})


def test_the_cni_is_named_by_the_user_else_detected_else_read_from_its_manifests(tmp_path: Path) -> None:
    manifest = tmp_path / "net.yaml"
    manifest.write_text(
        "kind: DaemonSet\nmetadata: {name: my-net}\n"
        "spec: {template: {spec: {containers: [{name: a, image: 'r/my-net:2.1'}]}}}\n"
    )
    mine = Addon(CNI, (manifest,))
    assert cni_name(options(cni_name="acme-net", cni_version="3"), "unknown") == "acme-net 3"
    assert cni_name(options(cni=mine), "flannel v0.28.10") == "flannel v0.28.10"
    assert cni_name(options(cni=mine), "unknown") == "my-net 2.1"
    assert cni_name(options(cni_version="v9"), "flannel v0.28.10-abc") == "flannel v9"


def test_the_chosen_class_is_reported_with_its_provisioner_and_how_its_claim_bound() -> None:
    preflight = Preflight(cluster="wc", server_version="v1.37.1", storage_classes=CLASSES)
    storage = Addon(STORAGE, (Path("/x/driver.yaml"),))
    facts = plugin_facts(
        options(storage=storage, storage_class="fast"), preflight, BindVerdict("fast", bound_seconds=3.21)
    )
    assert facts["storage_class_under_test"] == "fast (csi.example.org, Immediate)"
    assert facts["storage_binding"] == "a claim bound in 3.2 s"
    assert facts["storage_driver"].endswith("installed by this run from driver.yaml")
    assert facts["cni_installed"] == "the cluster's own"


def test_without_a_chosen_class_the_default_is_under_test_and_a_failed_bind_says_why() -> None:
    preflight = Preflight(cluster="wc", server_version="v1.37.1", storage_classes=CLASSES)
    verdict = BindVerdict("standard", problem="(rancher.io/local-path) did not bind a claim within 5 s")
    facts = plugin_facts(options(), preflight, verdict)
    assert facts["storage_class_under_test"] == "standard (rancher.io/local-path, WaitForFirstConsumer)"
    assert facts["storage_binding"] == verdict.problem
    assert verdict.unmet == f"StorageClass standard {verdict.problem}"
