"""Recipes for the container images a hermetic cluster runs, built from the binaries and rootfs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PATH_ENV = "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin"


@dataclass(frozen=True)
class ImageRecipe:
    """One image: its final reference, a Dockerfile and the files its context needs."""

    reference: str
    dockerfile: str
    files: dict[str, Path] = field(default_factory=dict)
    source: str = ""


def scratch_binary(reference: str, binary: Path, source: str, *, path: str | None = None) -> ImageRecipe:
    """A static binary alone in an image (plus an empty /tmp), run as the entrypoint."""
    target = path or f"/usr/local/bin/{binary.name}"
    dockerfile = "\n".join(
        [
            "FROM scratch",
            "COPY tmp/ /tmp/",
            f"COPY {binary.name} {target}",
            PATH_ENV,
            f'ENTRYPOINT ["{target}"]',
        ]
    )
    return ImageRecipe(reference, dockerfile, {binary.name: binary}, source)


def on_base(
    reference: str, base: str, source: str, binary: Path | None = None, target: str = ""
) -> ImageRecipe:
    """An image on the slim Debian base, optionally with one binary as its entrypoint."""
    lines = [f"FROM {base}", PATH_ENV]
    files: dict[str, Path] = {}
    if binary is not None:
        lines += [f"COPY {binary.name} {target}", f'ENTRYPOINT ["{target}"]']
        files[binary.name] = binary
    return ImageRecipe(reference, "\n".join(lines), files, source)


def kubeadm_image_recipe(
    reference: str, binaries: dict[str, Path], base: str, versions_source: dict[str, str]
) -> ImageRecipe:
    """The recipe for one image `kubeadm config images list` names."""
    repository = reference.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    if repository in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        return scratch_binary(reference, binaries[repository], versions_source["kubernetes"])
    if repository == "kube-proxy":
        return on_base(
            reference,
            base,
            versions_source["kubernetes"],
            binaries["kube-proxy"],
            "/usr/local/bin/kube-proxy",
        )
    if repository == "etcd":
        return scratch_binary(reference, binaries["etcd"], versions_source["etcd"])
    if repository == "coredns":
        return scratch_binary(reference, binaries["coredns"], versions_source["coredns"], path="/coredns")
    if repository == "pause":
        return scratch_binary(reference, binaries["pause"], versions_source["pause"], path="/pause")
    raise ValueError(f"kubeadm lists {reference}, which this builder does not know how to build")
