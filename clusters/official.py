"""The official toolchain, for machines where GitHub releases and container registries answer:
kind's release binary, kubectl from the Kubernetes release, kind's own node image, and the registry-served
toolbox image (agnhost, clusters.toolbox_image)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from clusters.build.docker_images import image_exists
from clusters.commands import run
from clusters.docker_engine import ensure_docker_engine
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.toolbox_image import REGISTRY_TOOLBOX
from clusters.toolchain_spec import Toolchain
from clusters.versions import load

KIND_URL = "https://github.com/kubernetes-sigs/kind/releases/download/{version}/kind-linux-amd64"
KUBECTL_URL = "https://dl.k8s.io/release/{version}/bin/linux/amd64/kubectl"


def _download(url: str, target: Path, progress: Progress) -> Path:
    if target.exists():
        return target
    with progress.step(f"Downloading {url}"):
        partial = target.with_name(target.name + ".partial")
        with urllib.request.urlopen(url, timeout=120) as response, partial.open("wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        partial.chmod(0o755)
        partial.rename(target)
    return target


def fetch(progress: Progress) -> Toolchain:
    versions = load()
    ensure_docker_engine(progress)
    kind_version = versions.kind
    kubectl_version = str(versions.raw["kind"]["official_kubectl"])
    node_image = str(versions.raw["kind"]["official_node_image"])
    kind = _download(
        KIND_URL.format(version=kind_version), cache_dir("official") / f"kind-{kind_version}", progress
    )
    kubectl = _download(
        KUBECTL_URL.format(version=kubectl_version),
        cache_dir("official") / f"kubectl-{kubectl_version}",
        progress,
    )
    # The registry-served toolbox, the same image a cluster this suite did not build pulls by default;
    # pulled here once so that cluster creation loads it into the nodes.
    toolbox = REGISTRY_TOOLBOX
    if not image_exists(toolbox):
        with progress.step(f"Pulling {toolbox}"):
            run(["docker", "pull", toolbox], timeout=900)
    return Toolchain(
        mode="official",
        kind=kind,
        kubectl=kubectl,
        node_image=node_image,
        toolbox_image=toolbox,
        kubernetes_version=node_image.split(":", 1)[1].split("@", 1)[0],
        kind_version=kind_version,
    )
