"""Pure pieces of clusters/: version keys, Go-source reading, join configuration, topologies."""

from __future__ import annotations

import pytest
import yaml
from breakers.control_plane import without_controllers

from clusters.build.components import kubernetes_ldflags, staging_replacements
from clusters.build.kind_source import go_concatenated_constant, patch_containerd_config
from clusters.cluster import condition_tainted, join_configuration, next_worker_name, parse_join_command
from clusters.topology import CGROUP_V1_KUBELET_PATCH, TopologyError, for_host, load_topology
from clusters.versions import load

# The JoinConfiguration as the f-string template wrote it, for the values of the test below.
KIND_WORKER_JOIN_CONFIGURATION = """apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
nodeRegistration:
  name: "wc-worker4"
  criSocket: "unix:///run/containerd/containerd.sock"
  kubeletExtraArgs:
    - name: "node-ip"
      value: "172.18.0.9"
    - name: "provider-id"
      value: "kind://docker/wc/wc-worker4"
discovery:
  bootstrapToken:
    apiServerEndpoint: "wc-control-plane:6443"
    token: "abc.def"
    caCertHashes:
      - "sha256:00ff"
skipPhases:
  - preflight
"""

GO_SOURCE = """
package nodeimage

const imageA = "docker.io/kindest/a:v1"

const manifest = `
first: line
image: ` + imageA + `
last: line
`
"""


def test_versions_pin_what_the_issue_asks_for() -> None:
    versions = load()
    assert versions.kind == "v0.33.0"
    assert versions.kubernetes.startswith("v1.37.")
    assert versions.k8s_staging == "v0." + versions.kubernetes.split(".", 1)[1]
    assert versions.key("kubernetes") != versions.key("etcd")


def test_go_constant_is_read_with_identifiers_resolved_and_overridable() -> None:
    assert (
        go_concatenated_constant(GO_SOURCE, "manifest", {})
        == "\nfirst: line\nimage: docker.io/kindest/a:v1\nlast: line\n"
    )
    assert "image: mine:1\n" in go_concatenated_constant(GO_SOURCE, "manifest", {"imageA": "mine:1"})
    with pytest.raises(ValueError, match="not found"):
        go_concatenated_constant(GO_SOURCE, "absent", {})


def test_containerd_config_patch_sets_oom_restriction_and_sandbox_image() -> None:
    config = 'sandbox_image = "registry.k8s.io/pause:3.10"\nrestrict_oom_score_adj = false\n'
    patched = patch_containerd_config(config, "registry.k8s.io/pause:3.10.2")
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.2"' in patched
    assert "restrict_oom_score_adj = true" in patched
    with pytest.raises(ValueError):
        patch_containerd_config("version = 2\n", "x")


def test_staging_modules_are_replaced_by_their_published_versions() -> None:
    go_mod = (
        "replace (\n"
        "\tk8s.io/api => ./staging/src/k8s.io/api\n"
        "\tk8s.io/client-go => ./staging/src/k8s.io/client-go\n"
        ")\n"
    )
    assert staging_replacements(go_mod, "v0.37.1") == {
        "k8s.io/api": "k8s.io/api v0.37.1",
        "k8s.io/client-go": "k8s.io/client-go v0.37.1",
    }
    flags = kubernetes_ldflags("v1.37.1", "2026-09-23T17:06:22Z")
    assert "-X k8s.io/component-base/version.gitVersion=v1.37.1" in flags
    assert "-X k8s.io/client-go/pkg/version.gitMinor=37" in flags


def test_worker_names_follow_kinds_numbering() -> None:
    assert next_worker_name("wc", ["wc-control-plane"]) == "wc-worker"
    assert next_worker_name("wc", ["wc-control-plane", "wc-worker", "wc-worker3"]) == "wc-worker4"
    assert next_worker_name("wc", ["wc-control-plane", "other-worker9"]) == "wc-worker"


def test_join_command_and_configuration() -> None:
    line = "kubeadm join wc-control-plane:6443 --token abc.def --discovery-token-ca-cert-hash sha256:00ff "
    endpoint, token, ca_hash = parse_join_command(line)
    assert (endpoint, token, ca_hash) == ("wc-control-plane:6443", "abc.def", "sha256:00ff")
    config = join_configuration(
        node="wc-worker4", node_ip="172.18.0.9", cluster="wc", endpoint=endpoint, token=token, ca_hash=ca_hash
    )
    assert yaml.safe_load(config) == yaml.safe_load(KIND_WORKER_JOIN_CONFIGURATION)


def test_join_configuration_keeps_values_yaml_would_read_as_other_types() -> None:
    config = join_configuration(
        node="no", node_ip="1e3", cluster="wc", endpoint="10:20", token="123456", ca_hash="null"
    )
    registration = yaml.safe_load(config)["nodeRegistration"]
    assert registration["name"] == "no"
    assert registration["kubeletExtraArgs"][0] == {"name": "node-ip", "value": "1e3"}
    assert yaml.safe_load(config)["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "10:20",
        "token": "123456",
        "caCertHashes": ["null"],
    }


def test_controller_manager_flags_turn_controllers_off() -> None:
    manifest = "    - --controllers=*,bootstrapsigner,tokencleaner\n    - --leader-elect=true\n"
    assert "--controllers=*,bootstrapsigner,tokencleaner,-daemonset\n" in without_controllers(
        manifest, ["daemonset"]
    )


def test_topology_needs_a_control_plane_and_gets_the_cgroup_v1_patch(tmp_path) -> None:
    default = load_topology()
    assert [n["role"] for n in default["nodes"]] == ["control-plane", "worker", "worker", "worker"]
    assert CGROUP_V1_KUBELET_PATCH in for_host(default, cgroup_v1=True)["kubeadmConfigPatches"]
    assert "kubeadmConfigPatches" not in for_host(default, cgroup_v1=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Cluster\nnodes:\n  - role: worker\n")
    with pytest.raises(TopologyError, match="control-plane"):
        load_topology(bad)


def test_condition_taints_are_named_with_their_node_and_other_taints_ignored() -> None:
    nodes = {
        "items": [
            {
                "metadata": {"name": "cp"},
                "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane"}]},
            },
            {
                "metadata": {"name": "w1"},
                "spec": {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]},
            },
            {"metadata": {"name": "w2"}, "spec": {}},
            {
                "metadata": {"name": "w3"},
                "spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]},
            },
        ]
    }
    assert condition_tainted(nodes) == [
        "w1 node.kubernetes.io/not-ready:NoExecute",
        "w3 node.kubernetes.io/unreachable:NoSchedule",
    ]
    assert condition_tainted({"items": []}) == []
