"""The hermetic toolchain: every binary and image a kind cluster needs, from pinned sources, cached."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from clusters.build import binaries as binary_builds
from clusters.build import gobuild
from clusters.build.docker_images import build_image, image_exists, import_rootfs, labels
from clusters.build.images import ImageRecipe, kubeadm_image_recipe, on_base
from clusters.build.kind_source import default_cni_manifest, default_storage_manifest
from clusters.build.node_image import build_node_base, preload_images
from clusters.build.rootfs import IMAGE_BASE_PACKAGES, NODE_PACKAGES, debootstrap_tarball
from clusters.commands import run
from clusters.docker_engine import ensure_docker_engine
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.toolchain_spec import Toolchain
from clusters.versions import Versions, load

# Bump when the image recipes change, so cached images are rebuilt.
IMAGE_RECIPE = "2"
# Bump when the toolbox's recipe changes: a new tag, built alone, that clusters get loaded
# (Cluster.load_toolbox) while node images that preload the older one stay valid.
TOOLBOX_RECIPE = "nonroot"
NON_ROOT = "65534:65534"  # nobody:nogroup, as the suite's pods run (fixtures.resources.pods.NON_ROOT_UID)
IMAGE_PREFIX = os.environ.get("WC_IMAGE_PREFIX", "localhost/workload-conformance")
HOST_BUILD_PACKAGES = {"debootstrap": "debootstrap", "gcc": "gcc", "pkg-config": "pkg-config"}
HOST_BUILD_HEADERS = {
    "/usr/include/seccomp.h": "libseccomp-dev",
    "/usr/lib/x86_64-linux-gnu/libc.a": "libc6-dev",
}


def images_key(versions: Versions) -> str:
    # this project's sources of node binaries: kindnetd's module and CoreDNS's main.go
    own_sources = binary_builds._source_hash(binary_builds.components.KINDNETD_SOURCE.parent)
    extra = f"{IMAGE_RECIPE}|{gobuild.RECIPE}|{gobuild.go_version()}|{own_sources}"
    return versions.key(*versions.toolchain_components(), extra=extra)


def local_path_images(versions: Versions) -> tuple[str, str]:
    """The tags of the local-path provisioner and helper images the toolchain builds."""
    key = images_key(versions)
    return (
        f"{IMAGE_PREFIX}/local-path-provisioner:{versions['local_path_provisioner']}-{key}",
        f"{IMAGE_PREFIX}/local-path-helper:{versions.debian_release}-{key}",
    )


def toolbox_tag(versions: Versions) -> str:
    """The tag of the toolbox image the toolchain builds (what test pods run)."""
    return f"{IMAGE_PREFIX}/toolbox:{images_key(versions)}-{TOOLBOX_RECIPE}"


def toolbox_recipe(reference: str, base: str, versions: Versions) -> ImageRecipe:
    """The toolbox: the slim Debian base (sh, sleep, getent, dig, nc), run as non-root by default."""
    recipe = on_base(
        reference, base, f"Debian {versions.debian_release} packages (sh, sleep, getent, dig, nc)"
    )
    return replace(recipe, dockerfile=f"{recipe.dockerfile}\nUSER {NON_ROOT}")


def ensure_host_build_tools(progress: Progress) -> None:
    """debootstrap, a C compiler and libseccomp headers (runc and pause are C or cgo)."""
    missing = [pkg for tool, pkg in HOST_BUILD_PACKAGES.items() if shutil.which(tool) is None]
    missing += [pkg for header, pkg in HOST_BUILD_HEADERS.items() if not Path(header).exists()]
    if not missing:
        return
    if not Path("/etc/debian_version").exists() or os.geteuid() != 0:
        raise RuntimeError(f"missing build tools {missing}: install them (Debian package names) and rerun")
    with progress.step(f"Installing host build tools from Debian packages: {' '.join(missing)}"):
        run(["apt-get", "update", "-qq"], timeout=600)
        run(
            ["apt-get", "install", "-y", "-qq", *missing],
            env={"DEBIAN_FRONTEND": "noninteractive"},
            timeout=1200,
        )


ROOTFS = (("image-base", IMAGE_BASE_PACKAGES), ("node", NODE_PACKAGES))


def _rootfs_key(packages: tuple[str, ...], versions: Versions) -> str:
    return versions.key("debian", extra=",".join(packages))


def rootfs_tarball(name: str, packages: tuple[str, ...], versions: Versions, progress: Progress) -> Path:
    """The Debian root filesystem ``name`` as a tarball, bootstrapped unless the cache has it."""
    tarball = cache_dir("rootfs") / f"{name}-{versions.debian_release}-{_rootfs_key(packages, versions)}.tar"
    if not tarball.exists():
        with progress.step(
            f"Bootstrapping Debian {versions.debian_release} rootfs for {name} ({len(packages)} packages)"
        ) as step:
            debootstrap_tarball(versions.debian_release, versions.debian_mirror, packages, tarball)
            step.detail = f"{tarball.stat().st_size / 1e6:.0f} MB"
    return tarball


def _rootfs_tag(name: str, packages: tuple[str, ...], versions: Versions) -> str:
    return f"{IMAGE_PREFIX}/{name}-rootfs:{versions.debian_release}-{_rootfs_key(packages, versions)}"


def rootfs_image(name: str, packages: tuple[str, ...], versions: Versions, progress: Progress) -> str:
    tag = _rootfs_tag(name, packages, versions)
    if image_exists(tag):
        return tag
    tarball = rootfs_tarball(name, packages, versions, progress)
    with progress.step(f"Importing {name} rootfs as {tag}"):
        import_rootfs(tarball, tag)
    return tag


def _bootstrap_missing_rootfs(versions: Versions, progress: Progress) -> None:
    """The tarball of each root filesystem whose image Docker lacks."""
    for name, packages in ROOTFS:
        if not image_exists(_rootfs_tag(name, packages, versions)):
            rootfs_tarball(name, packages, versions, progress)


def _kubeadm_images(kubeadm: Path, version: str) -> list[str]:
    listed = run([kubeadm, "config", "images", "list", "--kubernetes-version", version]).stdout.split()
    if not listed:
        raise RuntimeError("kubeadm config images list printed nothing")
    return listed


def _build_recipes(recipes: list[ImageRecipe], progress: Progress) -> None:
    for recipe in recipes:
        with progress.step(f"Building image {recipe.reference}"):
            files = dict(recipe.files)
            if "COPY tmp/" in recipe.dockerfile:
                tmp = cache_dir("image-context", "tmp")
                tmp.chmod(0o1777)
                files["tmp"] = tmp
            build_image([recipe.reference], recipe.dockerfile, files, labels(recipe.source))


def build(versions: Versions | None = None, progress: Progress | None = None) -> Toolchain:
    """Build what is missing, reuse what the cache holds, and say what the toolchain is."""
    versions = versions or load()
    progress = progress or Progress()
    ensure_host_build_tools(progress)
    ensure_docker_engine(progress)
    key = images_key(versions)
    node_tag = f"{IMAGE_PREFIX}/node:{versions.kubernetes}-{key}"
    toolbox = toolbox_tag(versions)
    images_missing = not (image_exists(node_tag) and image_exists(toolbox))
    # Debian's packages download and unpack (about 2 minutes) while Go compiles, not after it.
    with ThreadPoolExecutor(max_workers=1) as beside:
        rootfs = beside.submit(_bootstrap_missing_rootfs, versions, progress) if images_missing else None
        bins, kind_dir = binary_builds.build_all(versions, progress)
        if rootfs is not None:
            rootfs.result()
    toolchain = Toolchain(
        mode="hermetic",
        kind=bins["kind"],
        kubectl=bins["kubectl"],
        node_image=node_tag,
        toolbox_image=toolbox,
        kubernetes_version=versions.kubernetes,
        kind_version=versions.kind,
    )
    if image_exists(node_tag) and image_exists(toolbox):
        return toolchain

    base = rootfs_image("image-base", IMAGE_BASE_PACKAGES, versions, progress)
    if image_exists(node_tag):  # only the toolbox's recipe changed
        _build_recipes([toolbox_recipe(toolbox, base, versions)], progress)
        return toolchain
    node_rootfs = rootfs_image("node", NODE_PACKAGES, versions, progress)

    sources = {
        "kubernetes": f"k8s.io/kubernetes@{versions.kubernetes}",
        "etcd": f"go.etcd.io/etcd/server/v3@{versions['etcd']}",
        "coredns": f"github.com/coredns/coredns@{versions['coredns']}",
        "pause": f"k8s.io/kubernetes@{versions.kubernetes} build/pause",
    }
    kubeadm_refs = _kubeadm_images(bins["kubeadm"], versions.kubernetes)
    recipes = [kubeadm_image_recipe(ref, bins, base, sources) for ref in kubeadm_refs]
    pause_ref = next(ref for ref in kubeadm_refs if "/pause:" in ref)

    kindnetd_ref = f"{IMAGE_PREFIX}/kindnetd:{versions['kindnet']}-{key}"
    provisioner_ref, helper_ref = local_path_images(versions)
    recipes += [
        on_base(
            kindnetd_ref,
            base,
            "workload-conformance clusters/images/kindnetd",
            bins["kindnetd"],
            "/bin/kindnetd",
        ),
        ImageRecipe(
            provisioner_ref,
            "\n".join(
                [
                    "FROM scratch",
                    "COPY tmp/ /tmp/",
                    "COPY local-path-provisioner /usr/local/bin/local-path-provisioner",
                    "ENV PATH=/usr/local/bin:/usr/bin:/bin",
                    'ENTRYPOINT ["/usr/local/bin/local-path-provisioner"]',
                ]
            ),
            {"local-path-provisioner": bins["local-path-provisioner"]},
            f"github.com/rancher/local-path-provisioner@{versions['local_path_provisioner']}",
        ),
        on_base(helper_ref, base, f"Debian {versions.debian_release} packages"),
        toolbox_recipe(toolbox, base, versions),
    ]
    _build_recipes(recipes, progress)

    manifests = {
        "default-cni.yaml": default_cni_manifest(kind_dir, kindnetd_ref),
        "default-storage.yaml": default_storage_manifest(kind_dir, provisioner_ref, helper_ref),
    }
    node_base = f"{IMAGE_PREFIX}/node-base:{versions.kubernetes}-{key}"
    with progress.step(f"Building node image base {node_base}"):
        build_node_base(node_base, node_rootfs, kind_dir, bins, manifests, pause_ref, versions.kubernetes)
    with progress.step(f"Preloading {len(recipes)} images into {node_tag}"):
        preload_images(node_base, node_tag, [r.reference for r in recipes])
    return toolchain
