"""Build (or find in the cache) every binary the hermetic toolchain needs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from clusters.build import components
from clusters.build.gobuild import GoBuild, go_build, go_version, module_dir
from clusters.commands import run
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.versions import Versions

DONE_MARKER = ".done"


def _source_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_key(build: GoBuild, toolchain: str) -> str:
    fingerprint = {**build.fingerprint(), "go": toolchain}
    if build.source_dir is not None:
        fingerprint["source"] = _source_hash(build.source_dir)
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:12]


def cached_build(build: GoBuild, progress: Progress, toolchain: str) -> dict[str, Path]:
    """The binaries of one GoBuild, from the cache when a build with the same fingerprint finished."""
    out = cache_dir("bin") / f"{build.name}-{build.version}-{build_key(build, toolchain)}"
    if (out / DONE_MARKER).exists():
        return {p.name: p for p in out.iterdir() if p.is_file() and p.name != DONE_MARKER}
    what = ", ".join(
        build.rename.get(Path(p).name, Path(p).name) if p != "." else build.name for p in build.packages
    )
    with progress.step(f"Building {build.name} {build.version} from {build.module} ({what})") as step:
        binaries = go_build(build, out, cache_dir("go-work", build.name))
        (out / DONE_MARKER).touch()
        step.detail = f"{sum(p.stat().st_size for p in binaries) / 1e6:.0f} MB"
    return {p.name: p for p in binaries}


def build_pause(versions: Versions, kubernetes_dir: Path, progress: Progress) -> Path:
    """Kubernetes' pause container: a static C program from the Kubernetes module."""
    version = versions["pause"]
    out = cache_dir("bin", f"pause-{version}") / "pause"
    if out.exists():
        return out
    with progress.step(f"Compiling pause {version} (build/pause/linux/pause.c, gcc -static)"):
        partial = out.with_name("pause.partial")
        run(
            [
                "gcc",
                "-Os",
                "-Wall",
                "-Werror",
                "-static",
                f"-DVERSION=v{version}",
                "-o",
                partial,
                kubernetes_dir / "build/pause/linux/pause.c",
            ]
        )
        partial.rename(out)
    return out


def build_all(versions: Versions, progress: Progress) -> tuple[dict[str, Path], Path]:
    """Every binary by name, and the kind module folder (its base files and manifests are read later)."""
    toolchain = go_version()
    work = cache_dir("go-work", "probe")
    (work / "go.mod").write_text("module wcprobe\n")
    with progress.step(
        f"Fetching k8s.io/kubernetes {versions.kubernetes} and sigs.k8s.io/kind {versions.kind}"
    ):
        kubernetes_dir = module_dir("k8s.io/kubernetes", versions.kubernetes, work)
        kind_dir = module_dir("sigs.k8s.io/kind", versions.kind, work)
    info = json.loads(
        run(["go", "mod", "download", "-json", f"k8s.io/kubernetes@{versions.kubernetes}"], cwd=work).stdout
    )
    go_mod = Path(info["GoMod"]).read_text()
    builds = [
        components.kubernetes(versions, go_mod, info.get("Time", "")),
        *components.simple_builds(versions),
    ]
    binaries: dict[str, Path] = {}
    for build in builds:
        binaries |= cached_build(build, progress, toolchain)
    binaries["pause"] = build_pause(versions, kubernetes_dir, progress)
    return binaries, kind_dir
