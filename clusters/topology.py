"""Topology files (kind Cluster configs) and the host-specific patches a cluster needs to start."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

TOPOLOGY_DIR = Path(__file__).with_name("topologies")
DEFAULT_TOPOLOGY = TOPOLOGY_DIR / "default.yaml"

# Kubelet 1.35+ refuses to start on a cgroup v1 host unless told it may.
CGROUP_V1_KUBELET_PATCH = """kind: KubeletConfiguration
apiVersion: kubelet.config.k8s.io/v1beta1
failCgroupV1: false
"""


class TopologyError(ValueError):
    """A topology file that cannot describe a kind cluster."""


def host_uses_cgroup_v1(cgroup_root: Path = Path("/sys/fs/cgroup")) -> bool:
    return not (cgroup_root / "cgroup.controllers").exists()


def load_topology(path: Path = DEFAULT_TOPOLOGY) -> dict[str, Any]:
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise TopologyError(f"cannot read topology {path}: {err}") from err
    if not isinstance(config, dict) or config.get("kind") != "Cluster":
        raise TopologyError(f"{path}: not a kind Cluster config (kind: Cluster)")
    roles = Counter(node.get("role", "") for node in config.get("nodes") or [{"role": "control-plane"}])
    if roles["control-plane"] < 1:
        raise TopologyError(f"{path}: needs at least one control-plane node")
    unknown = set(roles) - {"control-plane", "worker"}
    if unknown:
        raise TopologyError(f"{path}: unknown node roles {sorted(unknown)}")
    return config


def describe(config: dict[str, Any]) -> str:
    roles = Counter(node.get("role") for node in config.get("nodes") or [{"role": "control-plane"}])
    return f"{roles['control-plane']} control plane + {roles['worker']} workers"


def for_host(config: dict[str, Any], *, cgroup_v1: bool | None = None) -> dict[str, Any]:
    """The config with what this host needs added (kind applies KubeletConfiguration patches from the
    first node to the whole cluster, so a cluster-level patch is enough)."""
    cgroup_v1 = host_uses_cgroup_v1() if cgroup_v1 is None else cgroup_v1
    patched = dict(config)
    if cgroup_v1:
        patches = list(patched.get("kubeadmConfigPatches") or [])
        if not any("failCgroupV1" in str(p) for p in patches):
            patches.append(CGROUP_V1_KUBELET_PATCH)
        patched["kubeadmConfigPatches"] = patches
    return patched


def without_default_cni(config: dict[str, Any]) -> dict[str, Any]:
    """The config with kind's default CNI (kindnet) left out: another CNI is installed instead."""
    return {**config, "networking": {**(config.get("networking") or {}), "disableDefaultCNI": True}}


def write_config(config: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
