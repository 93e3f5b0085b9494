"""Upstream's e2e.test and the test image its DaemonSet, StatefulSet and ControllerRevision [Conformance]
specs run (agnhost), built from the pinned k8s.io/kubernetes module through the Go module proxy and on the
Debian base image: no container registry. Cached by version; only the benchmark against upstream uses them.

e2e.test names its images by test/utils/image/manifest.go (``registry.k8s.io/e2e-test-images/agnhost:
<version>``); the file KUBE_TEST_REPO_LIST points at moves that registry to a local prefix, under which
the images are tagged with the names and versions the module's manifest gives. The previous agnhost
version (AgnhostPrev) is the same binary under its own tag: the specs tell the two apart by name only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from clusters.build.binaries import cached_build
from clusters.build.components import kubernetes_ldflags, staging_replacements
from clusters.build.docker_images import build_image, image_exists, labels
from clusters.build.gobuild import GoBuild, go_version
from clusters.build.hermetic import IMAGE_PREFIX, rootfs_image
from clusters.build.images import PATH_ENV
from clusters.build.rootfs import IMAGE_BASE_PACKAGES
from clusters.commands import run
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.versions import Versions

E2E_PACKAGE = "k8s.io/kubernetes/test/e2e"
AGNHOST_PACKAGE = "k8s.io/kubernetes/test/images/agnhost"
MANIFEST = "test/utils/image/manifest.go"
# The manifest's images the specs run (the pause image is the node's own, preloaded).
AGNHOST_IDS = ("Agnhost", "AgnhostPrev")
# Files the agnhost image carries besides the binary (porter serves them; the StatefulSet specs' HTTP
# readiness probe asks for /localhost.crt).
AGNHOST_FILES = ("localhost.crt", "localhost.key")
# Bump when the image recipe changes.
IMAGE_RECIPE = "1"
LOCAL_REGISTRY = f"{IMAGE_PREFIX}/e2e-test-images"

_CONFIG = re.compile(r'configs\[(\w+)\]\s*=\s*Config\{list\.(\w+),\s*"([^"]+)",\s*"([^"]+)"\}')


@dataclass(frozen=True)
class ImageConfig:
    """One entry of the manifest: which registry field, image name and version e2e.test asks for."""

    registry_field: str  # the KUBE_TEST_REPO_LIST key, e.g. promoterE2eRegistry
    name: str
    version: str


@dataclass(frozen=True)
class UpstreamE2E:
    """What a run of upstream's specs needs: the binary, the local images, the registry remapping."""

    kubernetes_version: str
    e2e_test: Path
    images: tuple[str, ...]
    repo_list: Path


def image_configs(manifest_go: str) -> dict[str, ImageConfig]:
    """The manifest's ``configs[ID] = Config{list.Field, "name", "version"}`` entries, by ID."""
    found = {}
    for image_id, field, name, version in _CONFIG.findall(manifest_go):
        found[image_id] = ImageConfig(field[:1].lower() + field[1:], name, version)
    return found


def local_references(configs: dict[str, ImageConfig], ids: tuple[str, ...], registry: str) -> list[str]:
    """The references e2e.test asks for once every named image's registry is ``registry``."""
    fields = {configs[i].registry_field for i in ids}
    if len(fields) != 1:
        raise ValueError(f"images {ids} come from several registries ({sorted(fields)}); remap each")
    return [f"{registry}/{configs[i].name}:{configs[i].version}" for i in ids]


def _kubernetes_module(version: str) -> dict[str, str]:
    work = cache_dir("go-work", "probe")
    (work / "go.mod").write_text("module wcprobe\n")
    return json.loads(
        run(["go", "mod", "download", "-json", f"k8s.io/kubernetes@{version}"], cwd=work).stdout
    )


def go_builds(versions: Versions, kubernetes_go_mod: str, build_date: str) -> tuple[GoBuild, GoBuild]:
    """e2e.test (`go test -c` of test/e2e, stamped like the release build) and agnhost."""
    replace = staging_replacements(kubernetes_go_mod, versions.k8s_staging)
    e2e = GoBuild(
        name="e2e.test",
        module="k8s.io/kubernetes",
        version=versions.kubernetes,
        packages=[E2E_PACKAGE],
        ldflags=kubernetes_ldflags(versions.kubernetes, build_date),
        replace=replace,
        test_binary="e2e.test",
    )
    agnhost = GoBuild(
        name="agnhost",
        module="k8s.io/kubernetes",
        version=versions.kubernetes,
        packages=[AGNHOST_PACKAGE],
        replace=replace,
    )
    return e2e, agnhost


def agnhost_dockerfile(base: str) -> str:
    copies = [f"COPY {name} /{name}" for name in ("agnhost", *AGNHOST_FILES)]
    return "\n".join(
        [
            f"FROM {base}",
            *copies,
            PATH_ENV,
            "WORKDIR /",
            "EXPOSE 80 8080 8081 9376 5000",
            'ENTRYPOINT ["/agnhost"]',
            'CMD ["pause"]',
        ]
    )


def _agnhost_image(
    binary: Path, module: Path, versions: Versions, references: list[str], progress: Progress
) -> None:
    base = rootfs_image("image-base", IMAGE_BASE_PACKAGES, versions, progress)
    key = hashlib.sha256(f"{IMAGE_RECIPE}|{base}|{binary.parent.name}".encode()).hexdigest()[:12]
    built = f"{IMAGE_PREFIX}/agnhost-e2e:{versions.kubernetes}-{key}"
    if not image_exists(built):
        files = {"agnhost": binary} | {
            name: module / "test/images/agnhost/porter" / name for name in AGNHOST_FILES
        }
        with progress.step(f"Building image {built} (agnhost of k8s.io/kubernetes@{versions.kubernetes})"):
            build_image(
                [built],
                agnhost_dockerfile(base),
                files,
                labels(f"k8s.io/kubernetes@{versions.kubernetes} {AGNHOST_PACKAGE}"),
            )
    for reference in references:
        run(["docker", "tag", built, reference])


def build(versions: Versions, progress: Progress) -> UpstreamE2E:
    """Build what is missing (e2e.test, agnhost, its image and tags), reuse what the cache holds."""
    info = _kubernetes_module(versions.kubernetes)
    module = Path(info["Dir"])
    e2e, agnhost = go_builds(versions, Path(info["GoMod"]).read_text(), info.get("Time", ""))
    toolchain = go_version()
    e2e_test = cached_build(e2e, progress, toolchain)["e2e.test"]
    agnhost_binary = cached_build(agnhost, progress, toolchain)["agnhost"]
    configs = image_configs((module / MANIFEST).read_text())
    references = local_references(configs, AGNHOST_IDS, LOCAL_REGISTRY)
    _agnhost_image(agnhost_binary, module, versions, references, progress)
    repo_list = cache_dir("e2e", versions.kubernetes) / "repo-list.yaml"
    repo_list.write_text(f"{configs[AGNHOST_IDS[0]].registry_field}: {LOCAL_REGISTRY}\n")
    return UpstreamE2E(versions.kubernetes, e2e_test, tuple(references), repo_list)
