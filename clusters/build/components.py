"""What is built from which module: one GoBuild per component, derived from the pinned versions."""

from __future__ import annotations

import re
from pathlib import Path

from clusters.build.gobuild import GoBuild
from clusters.versions import Versions

KINDNETD_SOURCE = Path(__file__).resolve().parent.parent / "images" / "kindnetd"
COREDNS_MAIN = Path(__file__).resolve().parent.parent / "images" / "coredns" / "main.go"

KUBERNETES_COMMANDS = (
    "kubeadm",
    "kubelet",
    "kubectl",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
)

CNI_PLUGINS = ("main/ptp", "main/bridge", "main/loopback", "ipam/host-local", "meta/portmap")


def staging_replacements(kubernetes_go_mod: str, staging_version: str) -> dict[str, str]:
    """k8s.io/kubernetes points its staging modules at local folders that its module zip lacks:
    replace each with the published module of the matching version."""
    names = re.findall(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/", kubernetes_go_mod, flags=re.M)
    if not names:
        raise ValueError("no staging replacements found in k8s.io/kubernetes go.mod")
    return {name: f"{name} {staging_version}" for name in names}


def kubernetes_ldflags(version: str, build_date: str) -> list[str]:
    """kubeadm parses its own version, so stamp it the way Kubernetes' release build does."""
    major, minor = version.lstrip("v").split(".")[:2]
    values = {
        "gitVersion": version,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "clean",
        "buildDate": build_date,
    }
    flags = []
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {package}.{key}={value}" for key, value in values.items()]
    return flags


def kubernetes(v: Versions, go_mod: str, build_date: str) -> GoBuild:
    return GoBuild(
        name="kubernetes",
        module="k8s.io/kubernetes",
        version=v.kubernetes,
        packages=[f"k8s.io/kubernetes/cmd/{cmd}" for cmd in KUBERNETES_COMMANDS],
        ldflags=kubernetes_ldflags(v.kubernetes, build_date),
        replace=staging_replacements(go_mod, v.k8s_staging),
    )


def simple_builds(v: Versions) -> list[GoBuild]:
    """Every component other than Kubernetes itself."""
    return [
        GoBuild(
            name="kind",
            module="sigs.k8s.io/kind",
            version=v.kind,
            packages=["sigs.k8s.io/kind"],
        ),
        GoBuild(
            name="etcd",
            module="go.etcd.io/etcd/server/v3",
            version=v["etcd"],
            packages=["go.etcd.io/etcd/server/v3"],
            rename={"server": "etcd"},
        ),
        GoBuild(
            name="coredns",
            module="github.com/coredns/coredns",
            version=v["coredns"],
            packages=["."],
            main_text=COREDNS_MAIN.read_text(),
            rename={"wcbuild": "coredns"},
            ldflags=[f"-X github.com/coredns/coredns/coremain.GitCommit={v['coredns']}"],
        ),
        GoBuild(
            name="containerd",
            module="github.com/containerd/containerd/v2",
            version=v["containerd"],
            packages=[
                "github.com/containerd/containerd/v2/cmd/containerd",
                "github.com/containerd/containerd/v2/cmd/ctr",
                "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2",
            ],
            tags=["no_aufs", "no_zfs", "no_btrfs", "no_devmapper"],
            ldflags=[f"-X github.com/containerd/containerd/v2/version.Version={v['containerd']}"],
        ),
        GoBuild(
            name="runc",
            module="github.com/opencontainers/runc",
            version=v["runc"],
            packages=["github.com/opencontainers/runc"],
            tags=["seccomp", "urfave_cli_no_docs"],
            cgo=True,  # runc's nsenter is C, and seccomp goes through libseccomp
            ldflags=[f"-X main.version={v['runc'].lstrip('v')}"],
        ),
        GoBuild(
            name="crictl",
            module="sigs.k8s.io/cri-tools",
            version=v["crictl"],
            packages=["sigs.k8s.io/cri-tools/cmd/crictl"],
            ldflags=[f"-X sigs.k8s.io/cri-tools/pkg/version.Version={v['crictl']}"],
        ),
        GoBuild(
            name="cni-plugins",
            module="github.com/containernetworking/plugins",
            version=v["cni_plugins"],
            packages=[f"github.com/containernetworking/plugins/plugins/{p}" for p in CNI_PLUGINS],
        ),
        GoBuild(
            name="local-path-provisioner",
            module="github.com/rancher/local-path-provisioner",
            version=v["local_path_provisioner"],
            packages=["github.com/rancher/local-path-provisioner"],
            ldflags=[f"-X main.VERSION={v['local_path_provisioner']}"],
        ),
        GoBuild(
            name="kindnetd",
            module="workload-conformance/kindnetd",
            version=v["kindnet"],
            packages=["."],
            source_dir=KINDNETD_SOURCE,
        ),
    ]
