"""Plugins a user brings to a new kind cluster: a CNI or a storage driver, as manifests plus the images
they need, loaded into the nodes first (no registry involved).

What was installed is recorded next to the kubeconfig, so a worker that joins later gets the same images
and a run that reuses the cluster can tell whether it has the plugins it asks for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clusters.commands import run

CNI, STORAGE = "CNI", "storage"
RECORD_FILE = "addons.json"
WORKLOAD_KINDS = ("DaemonSet", "Deployment", "StatefulSet")
ROLLOUT_TIMEOUT = 300


class AddonError(ValueError):
    """A plugin that cannot be installed as given; the message is one line with the remedy."""


@dataclass(frozen=True)
class Workload:
    kind: str
    namespace: str
    name: str
    images: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()}/{self.name}"


@dataclass(frozen=True)
class Addon:
    """One plugin: its role ("CNI" or "storage"), its manifests and the images to load before them."""

    role: str
    manifests: tuple[Path, ...]
    images: tuple[str, ...] = ()
    archives: tuple[Path, ...] = ()

    def as_record(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "manifests": [str(p) for p in self.manifests],
            "images": list(self.images),
            "archives": [str(p) for p in self.archives],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Addon:
        return cls(
            role=record["role"],
            manifests=tuple(Path(p) for p in record.get("manifests", [])),
            images=tuple(record.get("images", [])),
            archives=tuple(Path(p) for p in record.get("archives", [])),
        )

    def describe(self) -> str:
        files = ", ".join(p.name for p in self.manifests)
        loaded = len(self.images) + len(self.archives)
        return f"{self.role} from {files}" + (f" ({loaded} image source(s) loaded first)" if loaded else "")


def addon(
    role: str,
    manifests: Sequence[Path] | None,
    images: Sequence[str] | None = None,
    archives: Sequence[Path] | None = None,
) -> Addon | None:
    """The plugin the options describe, with absolute paths; None when no manifest was given."""
    if not manifests:
        if images or archives:
            raise AddonError(f"{role} images were given without manifests to install them")
        return None
    return Addon(
        role=role,
        manifests=tuple(Path(p).resolve() for p in manifests),
        images=tuple(images or ()),
        archives=tuple(Path(p).resolve() for p in archives or ()),
    )


def manifest_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files to apply: each file given, and the *.yaml/*.yml files of each folder given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            if not found:
                raise AddonError(f"manifest folder {path} has no .yaml files")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise AddonError(f"manifest {path} does not exist")
    return files


def workloads(documents: Iterable[Any]) -> list[Workload]:
    """The DaemonSets, Deployments and StatefulSets among parsed manifest documents (a List's items
    included), with the images of their containers."""
    found: list[Workload] = []
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "List":
            found += workloads(doc.get("items") or [])
            continue
        if doc.get("kind") not in WORKLOAD_KINDS:
            continue
        metadata = doc.get("metadata") or {}
        pod = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
        containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
        found.append(
            Workload(
                kind=doc["kind"],
                namespace=metadata.get("namespace") or "default",
                name=metadata.get("name", ""),
                images=tuple(c.get("image", "") for c in containers if c.get("image")),
            )
        )
    return found


def read_workloads(files: Iterable[Path]) -> list[Workload]:
    found: list[Workload] = []
    for path in files:
        try:
            found += workloads(yaml.safe_load_all(path.read_text()))
        except (OSError, yaml.YAMLError) as err:
            raise AddonError(f"cannot read manifest {path}: {str(err).splitlines()[0]}") from err
    return found


def image_tag(image: str) -> str:
    """The tag of an image reference ("v1.2.3"), else its digest's start, else "latest"."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return digest[:19] if digest else "latest"


def plugin_identity(found: Sequence[Workload]) -> str:
    """ "name version" of a plugin from its manifests: its first DaemonSet (else first workload), with
    the tag of its main container's image."""
    if not found:
        return ""
    main = next((w for w in found if w.kind == "DaemonSet"), found[0])
    return f"{main.name} {image_tag(main.images[-1] if main.images else '')}"


def check_sources(plugin: Addon) -> None:
    """Fail with one line when a manifest, archive or local image is missing, before any cluster work."""
    manifest_files(plugin.manifests)
    for archive in plugin.archives:
        if not archive.is_file():
            raise AddonError(f"{plugin.role} image archive {archive} does not exist")
    for image in plugin.images:
        found = run(["docker", "image", "inspect", "--format", "{{.Id}}", image], check=False)
        if found.returncode != 0:
            raise AddonError(
                f"{plugin.role} image {image} is not in the local Docker engine: build or `docker load` it "
                "first, or pass a saved archive instead"
            )


def save_record(state_dir: Path, plugins: Sequence[Addon]) -> None:
    (state_dir / RECORD_FILE).write_text(json.dumps([p.as_record() for p in plugins], indent=2) + "\n")


def load_record(state_dir: Path) -> list[Addon]:
    try:
        records = json.loads((state_dir / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [Addon.from_record(r) for r in records]


def clear_record(state_dir: Path) -> None:
    (state_dir / RECORD_FILE).unlink(missing_ok=True)


def mismatch(recorded: Sequence[Addon], wanted: Sequence[Addon]) -> str | None:
    """Why an existing cluster does not have the plugins asked for (by role and manifests), or None."""
    have = {a.role: a.manifests for a in recorded}
    for plugin in wanted:
        if have.get(plugin.role) != plugin.manifests:
            installed = ", ".join(str(p) for p in have.get(plugin.role, ())) or "the kind default"
            wanted_files = ", ".join(str(p) for p in plugin.manifests)
            return f"it was created with {plugin.role} {installed}, not {wanted_files}"
    return None
