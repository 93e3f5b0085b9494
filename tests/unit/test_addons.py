"""Plugins from manifests: which files are applied, which workloads are waited for, what they are called."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clusters.addons import (
    CNI,
    STORAGE,
    Addon,
    AddonError,
    addon,
    load_record,
    manifest_files,
    mismatch,
    plugin_identity,
    read_workloads,
    save_record,
    workloads,
)
from clusters.topology import without_default_cni

FLANNEL_LIKE = """
apiVersion: v1
kind: Namespace
metadata: {name: kube-flannel}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-flannel-ds, namespace: kube-flannel}
spec:
  template:
    spec:
      initContainers:
        - {name: install-cni-plugin, image: "localhost/x/flannel-cni-plugin:v0.9.1"}
      containers:
        - {name: kube-flannel, image: "localhost/x/flannel:v0.28.10-abc"}
"""


def test_folders_give_their_yaml_files_in_order_and_missing_paths_fail_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("{}")
    (tmp_path / "a.yml").write_text("{}")
    (tmp_path / "notes.txt").write_text("")
    single = tmp_path / "b.yaml"
    assert manifest_files([tmp_path, single]) == [tmp_path / "a.yml", tmp_path / "b.yaml", single]
    with pytest.raises(AddonError, match="does not exist"):
        manifest_files([tmp_path / "missing.yaml"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AddonError, match="no .yaml files"):
        manifest_files([empty])


def test_workloads_are_read_with_their_namespace_and_images_lists_included() -> None:
    docs = list(yaml.safe_load_all(FLANNEL_LIKE))
    docs.append({"kind": "List", "items": [{"kind": "Deployment", "metadata": {"name": "provisioner"}}]})
    found = workloads(docs)
    assert [(w.kind, w.namespace, w.ref) for w in found] == [
        ("DaemonSet", "kube-flannel", "daemonset/kube-flannel-ds"),
        ("Deployment", "default", "deployment/provisioner"),
    ]
    assert found[0].images == ("localhost/x/flannel-cni-plugin:v0.9.1", "localhost/x/flannel:v0.28.10-abc")


def test_a_plugin_is_named_by_its_daemonset_and_main_image_tag(tmp_path: Path) -> None:
    manifest = tmp_path / "flannel.yaml"
    manifest.write_text(FLANNEL_LIKE)
    assert plugin_identity(read_workloads([manifest])) == "kube-flannel-ds v0.28.10-abc"
    assert plugin_identity([]) == ""


def test_images_without_manifests_are_refused_and_no_manifest_means_no_plugin(tmp_path: Path) -> None:
    assert addon(CNI, None) is None
    with pytest.raises(AddonError, match="without manifests"):
        addon(STORAGE, None, archives=[tmp_path / "images.tar"])
    plugin = addon(CNI, [Path("relative.yaml")], ["img:1"])
    assert plugin is not None and plugin.manifests[0].is_absolute()


def test_the_record_survives_a_round_trip_and_tells_a_different_cni_apart(tmp_path: Path) -> None:
    flannel = Addon(CNI, (tmp_path / "flannel.yaml",), ("img:1",), (tmp_path / "images.tar",))
    save_record(tmp_path, [flannel])
    assert load_record(tmp_path) == [flannel]
    assert mismatch(load_record(tmp_path), [flannel]) is None
    other = Addon(CNI, (tmp_path / "calico.yaml",))
    assert "created with CNI" in (mismatch([flannel], [other]) or "")
    assert "the kind default" in (mismatch([], [other]) or "")


def test_leaving_out_the_default_cni_keeps_the_other_networking_settings() -> None:
    config = {"kind": "Cluster", "networking": {"podSubnet": "10.244.0.0/16"}}
    networking = without_default_cni(config)["networking"]
    assert networking == {"podSubnet": "10.244.0.0/16", "disableDefaultCNI": True}
    assert "disableDefaultCNI" not in config["networking"]
