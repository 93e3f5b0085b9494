"""The sample plugins' manifests are rendered as intended: flannel with this build's images and the chosen
backend, and a second local-path-provisioner that clashes with nothing of kind's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from clusters.build import flannel
from clusters.sample_plugins import SampleCni, render_storage_manifest
from clusters.versions import load

FLANNEL_IMAGE = "localhost/workload-conformance/flannel:v0.28.10-k"
PLUGIN_IMAGE = "localhost/workload-conformance/flannel-cni-plugin:v0.9.1-k"

FLANNEL_MANIFEST = """\
---
kind: Namespace
apiVersion: v1
metadata:
  name: kube-flannel
---
kind: ConfigMap
apiVersion: v1
metadata:
  name: kube-flannel-cfg
  namespace: kube-flannel
data:
  cni-conf.json: |
    {"name": "cbr0", "cniVersion": "1.0.0", "plugins": [{"type": "flannel"}, {"type": "portmap"}]}
  net-conf.json: |
    {"Network": "10.244.0.0/16", "EnableNFTables": false, "Backend": {"Type": "vxlan"}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-flannel-ds
  namespace: kube-flannel
spec:
  template:
    spec:
      initContainers:
      - name: install-cni-plugin
        image: ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3
        command: [cp]
        args: [-f, /flannel, /opt/cni/bin/flannel]
      - name: install-cni
        image: ghcr.io/flannel-io/flannel:v0.28.10
        command: [/opt/bin/install-conf]
      containers:
      - name: kube-flannel
        image: ghcr.io/flannel-io/flannel:v0.28.10
        command: [/opt/bin/flanneld]
        args: [--ip-masq, --kube-subnet-mgr]
"""

STORAGE_MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata: {name: local-path-storage}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: lpp-sa, namespace: local-path-storage}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: lpp-role, namespace: local-path-storage}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: lpp-role}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lpp-bind, namespace: local-path-storage}
roleRef: {kind: Role, name: lpp-role}
subjects: [{kind: ServiceAccount, name: lpp-sa, namespace: local-path-storage}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: lpp-bind}
roleRef: {kind: ClusterRole, name: lpp-role}
subjects: [{kind: ServiceAccount, name: lpp-sa, namespace: local-path-storage}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: local-path-provisioner, namespace: local-path-storage}
spec:
  template:
    spec:
      containers:
      - name: local-path-provisioner
        image: prov
        imagePullPolicy: IfNotPresent
        command: [local-path-provisioner, --debug, start, --config, /etc/config/config.json]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  namespace: kube-system
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
---
kind: ConfigMap
apiVersion: v1
metadata: {name: local-path-config, namespace: local-path-storage}
data:
  config.json: |-
    {"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["/var/local-path-provisioner"]}]}
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    spec:
      containers:
      - name: helper-pod
        image: helper
        imagePullPolicy: IfNotPresent
"""


def _by_kind(text: str) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(text) if doc}


def _render_flannel(backend: str = "host-gw") -> dict[str, dict[str, Any]]:
    text = flannel.render_manifest(FLANNEL_MANIFEST, FLANNEL_IMAGE, PLUGIN_IMAGE, backend, "0.4.0")
    return _by_kind(text)


def _containers(docs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    spec = docs["DaemonSet"]["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec["initContainers"] + spec["containers"]}


def test_flannel_runs_this_builds_images_without_pulling() -> None:
    containers = _containers(_render_flannel())
    images = {name: c["image"] for name, c in containers.items()}
    assert images == {
        "install-cni-plugin": PLUGIN_IMAGE,
        "install-cni": FLANNEL_IMAGE,
        "kube-flannel": FLANNEL_IMAGE,
    }
    assert {c["imagePullPolicy"] for c in containers.values()} == {"Never"}
    assert containers["kube-flannel"]["args"] == ["--ip-masq", "--kube-subnet-mgr"]


@pytest.mark.parametrize("backend", ["host-gw", "alloc"])
def test_flannel_backend_is_set_on_kinds_pod_network(backend: str) -> None:
    data = _render_flannel(backend)["ConfigMap"]["data"]
    net = json.loads(data["net-conf.json"])
    assert net == {"Network": "10.244.0.0/16", "EnableNFTables": False, "Backend": {"Type": backend}}


def test_flannel_cni_config_speaks_the_plugins_spec_version() -> None:
    cni = json.loads(_render_flannel()["ConfigMap"]["data"]["cni-conf.json"])
    assert cni["cniVersion"] == "0.4.0"
    assert [p["type"] for p in cni["plugins"]] == ["flannel", "portmap"]


def test_flannel_keeps_the_other_objects() -> None:
    assert _render_flannel()["Namespace"]["metadata"]["name"] == "kube-flannel"


def test_flannel_refuses_an_unknown_backend_or_image() -> None:
    with pytest.raises(ValueError, match="vxlan"):
        flannel.render_manifest(FLANNEL_MANIFEST, FLANNEL_IMAGE, PLUGIN_IMAGE, "vxlan", "0.4.0")
    foreign = FLANNEL_MANIFEST.replace("ghcr.io/flannel-io/flannel:v0.28.10", "quay.io/other:v1")
    with pytest.raises(ValueError, match="quay.io/other"):
        flannel.render_manifest(foreign, FLANNEL_IMAGE, PLUGIN_IMAGE, "host-gw", "0.4.0")


def test_flannel_images_put_binaries_where_the_manifest_runs_them() -> None:
    paths = flannel.manifest_paths(flannel.load_all(FLANNEL_MANIFEST))
    assert paths == flannel.ManifestPaths("/opt/bin/flanneld", "/opt/bin/install-conf", "/flannel")
    binaries = {name: Path(f"/b/{name}") for name in ("flanneld", "install-conf", "flannel")}
    main, plugin = flannel.image_recipes(FLANNEL_IMAGE, PLUGIN_IMAGE, "base:1", binaries, paths, load())
    assert "COPY flanneld /opt/bin/flanneld" in main.dockerfile
    assert "COPY install-conf /opt/bin/install-conf" in main.dockerfile
    assert "COPY flannel /flannel" in plugin.dockerfile
    assert main.dockerfile.startswith("FROM base:1") and plugin.dockerfile.startswith("FROM base:1")


FLANNEL_MAIN = """package main

import (
	"github.com/flannel-io/flannel/pkg/backend"
	_ "github.com/flannel-io/flannel/pkg/backend/alloc"
	_ "github.com/flannel-io/flannel/pkg/backend/hostgw"
	_ "github.com/flannel-io/flannel/pkg/backend/ipsec"
	_ "github.com/flannel-io/flannel/pkg/backend/udp"
	_ "github.com/flannel-io/flannel/pkg/backend/vxlan"
)
"""


def test_flannel_build_replaces_the_sdk_modules_the_proxy_refuses() -> None:
    versions = load()
    build = flannel.flannel_build(versions, FLANNEL_MAIN)
    sdk = versions.raw["flannel"]["tencentcloud_sdk"]
    assert build.replace == {module: f"{module} {sdk}" for module in flannel.TENCENT_SDK_MODULES}
    assert build.rename == {"wcbuild": "flanneld", "install_conf": "install-conf"}
    assert not build.cgo


def test_flanneld_is_built_with_only_the_backends_the_samples_use() -> None:
    lean = flannel.lean_main(FLANNEL_MAIN)
    assert '"github.com/flannel-io/flannel/pkg/backend"' in lean
    for name in ("alloc", "hostgw", "vxlan"):
        assert f'_ "github.com/flannel-io/flannel/pkg/backend/{name}"' in lean
    assert "ipsec" not in lean and "udp" not in lean


def test_a_main_go_without_a_kept_backend_or_anything_to_drop_is_refused() -> None:
    with pytest.raises(ValueError, match="does not blank-import the backends vxlan"):
        flannel.lean_main(FLANNEL_MAIN.replace("backend/vxlan", "backend/other"))
    only_kept = "".join(
        line for line in FLANNEL_MAIN.splitlines(keepends=True) if "ipsec" not in line and "udp" not in line
    )
    with pytest.raises(ValueError, match="no backend beyond the kept ones"):
        flannel.lean_main(only_kept)


def test_the_flannel_cni_plugin_comes_from_the_cni_plugins_module() -> None:
    assert flannel.cni_plugin_build(load()).packages == [f"{flannel.PLUGINS_MODULE}/plugins/meta/flannel"]


def _render_storage() -> dict[str, dict[str, Any]]:
    return _by_kind(render_storage_manifest(STORAGE_MANIFEST))


def test_storage_runs_in_its_own_namespace() -> None:
    docs = _render_storage()
    assert docs["Namespace"]["metadata"]["name"] == "wc-sample-storage"
    for kind in ("ServiceAccount", "Role", "RoleBinding", "Deployment", "ConfigMap"):
        assert docs[kind]["metadata"]["namespace"] == "wc-sample-storage", kind
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        assert docs[kind]["subjects"][0]["namespace"] == "wc-sample-storage", kind


def test_storage_cluster_scoped_rbac_is_renamed() -> None:
    docs = _render_storage()
    assert docs["ClusterRole"]["metadata"]["name"] == "wc-sample-storage-lpp-role"
    binding = docs["ClusterRoleBinding"]
    assert binding["metadata"]["name"] == "wc-sample-storage-lpp-bind"
    assert binding["roleRef"]["name"] == "wc-sample-storage-lpp-role"
    assert docs["RoleBinding"]["roleRef"]["name"] == "lpp-role"


def test_storage_class_is_its_own_and_not_default() -> None:
    storage_class = _render_storage()["StorageClass"]
    assert storage_class["metadata"] == {"name": "wc-local-path"}
    assert storage_class["provisioner"] == "workload-conformance.io/sample-local-path"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"


def test_storage_provisioner_answers_to_its_own_name_without_pulling() -> None:
    (container,) = _render_storage()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["command"][-2:] == ["--provisioner-name", "workload-conformance.io/sample-local-path"]
    assert container["command"][:3] == ["local-path-provisioner", "--debug", "start"]
    assert container["imagePullPolicy"] == "Never"


def test_storage_uses_its_own_host_folder_and_helper_pull_policy() -> None:
    data = _render_storage()["ConfigMap"]["data"]
    assert json.loads(data["config.json"])["nodePathMap"][0]["paths"] == ["/var/local-path-wc-sample"]
    helper = yaml.safe_load(data["helperPod.yaml"])
    assert helper["spec"]["containers"][0] == {
        "name": "helper-pod",
        "image": "helper",
        "imagePullPolicy": "Never",
    }


def test_storage_refuses_objects_it_does_not_know() -> None:
    extra = STORAGE_MANIFEST + "---\napiVersion: v1\nkind: PriorityClass\nmetadata: {name: x}\n"
    with pytest.raises(ValueError, match="PriorityClass"):
        render_storage_manifest(extra)


def test_sample_cni_names_the_pytest_options() -> None:
    sample = SampleCni("flannel", "v0.28.10", "alloc", Path("/o/m.yaml"), Path("/o/i.tar"), (FLANNEL_IMAGE,))
    assert sample.pytest_options() == [
        "--wc-cni-manifest=/o/m.yaml",
        "--wc-cni-image-archive=/o/i.tar",
    ]
