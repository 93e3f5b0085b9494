"""Sample plugins for the suite's "bring your own CNI / StorageClass" options, built hermetically:

- flannel, a second CNI: healthy with the host-gw backend (kind's nodes share one Docker bridge), or
  deliberately broken with the alloc backend (subnets allocated, no routes between nodes);
- a second local-path-provisioner, renamed so it runs beside kind's default one.

Each writes a manifest and a `docker save` archive of the images it runs (load it with
`kind load image-archive`; no registry serves them)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusters.build import flannel, gobuild
from clusters.build.binaries import build_key, cached_build
from clusters.build.docker_images import build_image, image_exists, labels
from clusters.build.flannel import PULL_POLICY, dump_all, load_all
from clusters.build.hermetic import (
    IMAGE_PREFIX,
    ensure_host_build_tools,
    images_key,
    local_path_images,
    rootfs_image,
)
from clusters.build.hermetic import build as build_toolchain
from clusters.build.images import ImageRecipe
from clusters.build.kind_source import default_storage_manifest
from clusters.build.rootfs import IMAGE_BASE_PACKAGES
from clusters.commands import run
from clusters.docker_engine import ensure_docker_engine
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.versions import Versions, load

STORAGE_NAMESPACE = "wc-sample-storage"
STORAGE_CLASS = "wc-local-path"
STORAGE_PROVISIONER = "workload-conformance.io/sample-local-path"
STORAGE_HOST_PATH = "/var/local-path-wc-sample"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class SampleCni:
    """A CNI to install on a cluster created without one."""

    name: str
    version: str
    backend: str
    manifest: Path
    image_archive: Path
    images: tuple[str, ...]

    def pytest_options(self) -> list[str]:
        return [
            f"--wc-cni-manifest={self.manifest}",
            f"--wc-cni-image-archive={self.image_archive}",
        ]


@dataclass(frozen=True)
class SampleStorage:
    """A dynamic storage driver and its (non-default) StorageClass."""

    name: str
    version: str
    manifest: Path
    image_archive: Path
    images: tuple[str, ...]
    storage_class: str
    provisioner: str
    namespace: str

    def pytest_options(self) -> list[str]:
        return [
            f"--wc-storage-manifest={self.manifest}",
            f"--wc-storage-image-archive={self.image_archive}",
            f"--wc-storage-class={self.storage_class}",
        ]


def _module_dir(module: str, version: str) -> Path:
    work = cache_dir("go-work", "sample-plugins-probe")
    (work / "go.mod").write_text("module wcsampleprobe\n")
    return gobuild.module_dir(module, version, work)


def _save_archive(images: list[str], archive: Path, progress: Progress) -> Path:
    """`docker save` of the images, once per cache key."""
    if archive.exists():
        return archive
    partial = archive.with_name(archive.name + ".partial")
    with progress.step(f"Saving {len(images)} images to {archive.name}") as step:
        run(["docker", "save", "-o", partial, *images], timeout=1800)
        partial.chmod(0o644)  # docker save writes 0600; the archive is meant to be handed around
        partial.rename(archive)
        step.detail = f"{archive.stat().st_size / 1e6:.0f} MB"
    return archive


def _place(source: Path, out_dir: Path, name: str) -> Path:
    """The cached archive in out_dir: a hard link where the filesystem allows, else a copy."""
    target = out_dir / name
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def _build_missing(recipes: list[ImageRecipe], progress: Progress) -> None:
    for recipe in recipes:
        if image_exists(recipe.reference):
            continue
        with progress.step(f"Building image {recipe.reference}"):
            build_image([recipe.reference], recipe.dockerfile, recipe.files, labels(recipe.source))


def _flannel_images(
    v: Versions, manifest_docs: list[dict[str, Any]], progress: Progress
) -> tuple[str, list[str]]:
    """Build (or reuse) the flannel and flannel-cni-plugin images; returns their key and references."""
    base = rootfs_image("image-base", IMAGE_BASE_PACKAGES, v, progress)
    toolchain = gobuild.go_version()
    main_go = (_module_dir(flannel.FLANNEL_MODULE, v["flannel"]) / "main.go").read_text()
    builds = [flannel.flannel_build(v, main_go), flannel.cni_plugin_build(v)]
    extra = "|".join([flannel.RECIPE, base, *(build_key(b, toolchain) for b in builds)])
    key = v.key("flannel", "flannel_cni_plugin", "debian", extra=extra)
    flannel_ref = f"{IMAGE_PREFIX}/flannel:{v['flannel']}-{key}"
    plugin_ref = f"{IMAGE_PREFIX}/flannel-cni-plugin:{v['flannel_cni_plugin']}-{key}"
    if not (image_exists(flannel_ref) and image_exists(plugin_ref)):
        binaries: dict[str, Path] = {}
        for build in builds:
            binaries |= cached_build(build, progress, toolchain)
        paths = flannel.manifest_paths(manifest_docs)
        _build_missing(flannel.image_recipes(flannel_ref, plugin_ref, base, binaries, paths, v), progress)
    return key, [flannel_ref, plugin_ref]


def write_sample_cni(
    out_dir: Path,
    backend: str = "host-gw",
    progress: Progress | None = None,
    versions: Versions | None = None,
) -> SampleCni:
    """Build flannel hermetically and write its manifest (for the backend) and image archive to out_dir."""
    if backend not in flannel.BACKENDS:
        raise ValueError(f"flannel backend {backend!r}: use one of {', '.join(flannel.BACKENDS)}")
    v = versions or load()
    progress = progress or Progress()
    ensure_host_build_tools(progress)
    ensure_docker_engine(progress)
    upstream = (_module_dir(flannel.FLANNEL_MODULE, v["flannel"]) / flannel.MANIFEST_IN_MODULE).read_text()
    key, images = _flannel_images(v, load_all(upstream), progress)
    archive = _save_archive(
        images, cache_dir("sample-plugins") / f"flannel-{v['flannel']}-{key}.tar", progress
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    cni_version = str(v.raw["flannel_cni_plugin"]["cni_version"])
    manifest = out_dir / f"kube-flannel-{backend}.yaml"
    manifest.write_text(flannel.render_manifest(upstream, *images, backend=backend, cni_version=cni_version))
    return SampleCni(
        name="flannel",
        version=v["flannel"],
        backend=backend,
        manifest=manifest,
        image_archive=_place(archive, out_dir, "flannel-images.tar"),
        images=tuple(images),
    )


# --- the second local-path-provisioner ---------------------------------------------------------------


def _prefixed(name: str) -> str:
    return f"{STORAGE_NAMESPACE}-{name}"


def _rename_cluster_role_binding(doc: dict[str, Any]) -> None:
    doc["metadata"]["name"] = _prefixed(doc["metadata"]["name"])
    if doc["roleRef"]["kind"] == "ClusterRole":
        doc["roleRef"]["name"] = _prefixed(doc["roleRef"]["name"])


def _retarget_subjects(doc: dict[str, Any], namespace: str) -> None:
    for subject in doc.get("subjects", []):
        if subject.get("kind") == "ServiceAccount":
            subject["namespace"] = namespace


def _storage_class(doc: dict[str, Any], name: str, provisioner: str) -> None:
    metadata = doc["metadata"]
    metadata["name"] = name
    metadata.pop("namespace", None)  # cluster-scoped: kind's manifest names one the API ignores
    annotations = metadata.pop("annotations", {}) or {}
    annotations.pop(DEFAULT_CLASS_ANNOTATION, None)
    if annotations:
        metadata["annotations"] = annotations
    doc["provisioner"] = provisioner
    doc["volumeBindingMode"] = "WaitForFirstConsumer"
    doc["reclaimPolicy"] = "Delete"


def _deployment(doc: dict[str, Any], provisioner: str) -> None:
    for container in doc["spec"]["template"]["spec"]["containers"]:
        container["imagePullPolicy"] = PULL_POLICY
        if container["name"] == "local-path-provisioner":
            container["command"] = [*container["command"], "--provisioner-name", provisioner]


def _config_map(doc: dict[str, Any], host_path: str) -> None:
    data = doc["data"]
    config = json.loads(data["config.json"])
    for entry in config["nodePathMap"]:
        entry["paths"] = [host_path]
    data["config.json"] = json.dumps(config, indent=2) + "\n"
    helper = load_all(data["helperPod.yaml"])[0]
    for container in helper["spec"]["containers"]:
        container["imagePullPolicy"] = PULL_POLICY
    data["helperPod.yaml"] = dump_all([helper]).removeprefix("---\n")


def _restyle_storage_doc(
    doc: dict[str, Any], namespace: str, storage_class: str, provisioner: str, host_path: str
) -> None:
    kind = doc.get("kind")
    if kind == "Namespace":
        doc["metadata"]["name"] = namespace
    elif kind == "StorageClass":
        _storage_class(doc, storage_class, provisioner)
    elif kind == "ClusterRole":
        doc["metadata"]["name"] = _prefixed(doc["metadata"]["name"])
    elif kind == "ClusterRoleBinding":
        _rename_cluster_role_binding(doc)
    elif kind in ("ServiceAccount", "Role", "RoleBinding", "Deployment", "ConfigMap"):
        doc["metadata"]["namespace"] = namespace
    else:
        raise ValueError(f"kind's storage manifest has a {kind} this renaming does not know")
    _retarget_subjects(doc, namespace)
    if kind == "Deployment":
        _deployment(doc, provisioner)
    elif kind == "ConfigMap":
        _config_map(doc, host_path)


def render_storage_manifest(
    text: str,
    *,
    namespace: str = STORAGE_NAMESPACE,
    storage_class: str = STORAGE_CLASS,
    provisioner: str = STORAGE_PROVISIONER,
    host_path: str = STORAGE_HOST_PATH,
) -> str:
    """kind's local-path-provisioner manifest renamed so it runs beside kind's own: its namespace,
    cluster-scoped RBAC names, provisioner name, a non-default StorageClass and its own host folder."""
    docs = load_all(text)
    for doc in docs:
        _restyle_storage_doc(doc, namespace, storage_class, provisioner, host_path)
    return dump_all(docs)


def _storage_images(v: Versions) -> list[str]:
    """The provisioner and helper images the hermetic toolchain builds (tags as in hermetic.build)."""
    images = list(local_path_images(v))
    missing = [image for image in images if not image_exists(image)]
    if missing:
        raise RuntimeError(f"the hermetic build did not leave {missing}: its image tags changed")
    return images


def write_sample_storage(
    out_dir: Path, progress: Progress | None = None, versions: Versions | None = None
) -> SampleStorage:
    """Write the second local-path-provisioner's manifest and image archive to out_dir."""
    v = versions or load()
    progress = progress or Progress()
    build_toolchain(v, progress)
    images = _storage_images(v)
    kind_dir = _module_dir("sigs.k8s.io/kind", v.kind)
    text = render_storage_manifest(default_storage_manifest(kind_dir, *images))
    version = v["local_path_provisioner"]
    cached = cache_dir("sample-plugins") / f"local-path-provisioner-{version}-{images_key(v)}.tar"
    archive = _save_archive(images, cached, progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / "local-path-wc-sample.yaml"
    manifest.write_text(text)
    return SampleStorage(
        name="local-path-provisioner",
        version=version,
        manifest=manifest,
        image_archive=_place(archive, out_dir, "local-path-images.tar"),
        images=tuple(images),
        storage_class=STORAGE_CLASS,
        provisioner=STORAGE_PROVISIONER,
        namespace=STORAGE_NAMESPACE,
    )
