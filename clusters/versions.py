"""The pinned versions (versions.toml) and the cache keys derived from them."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

VERSIONS_FILE = Path(__file__).with_name("versions.toml")


@dataclass(frozen=True)
class Versions:
    """Typed access to versions.toml."""

    raw: dict[str, dict[str, Any]]

    def __getitem__(self, component: str) -> str:
        return str(self.raw[component]["version"])

    @property
    def kubernetes(self) -> str:
        return self["kubernetes"]

    @property
    def kind(self) -> str:
        return self["kind"]

    @property
    def k8s_staging(self) -> str:
        """The version of the published staging modules (k8s.io/api, ...) that match Kubernetes vX.Y.Z."""
        major_minor_patch = self.kubernetes.lstrip("v").split(".")
        return f"v0.{major_minor_patch[1]}.{major_minor_patch[2]}"

    @property
    def debian_release(self) -> str:
        return str(self.raw["debian"]["release"])

    @property
    def debian_mirror(self) -> str:
        return str(self.raw["debian"]["mirror"])

    def toolchain_components(self) -> list[str]:
        """The sections the kind toolchain is built from: all but the sample plugins'."""
        return sorted(set(self.raw) - set(SAMPLE_PLUGIN_SECTIONS))

    def key(self, *components: str, extra: str = "") -> str:
        """A short stable hash of the named components' pins (all of them when none are named)."""
        chosen = {c: self.raw[c] for c in (components or sorted(self.raw))}
        blob = json.dumps(chosen, sort_keys=True) + extra
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


# Pins of the sample plugins (clusters/sample_plugins.py): not part of the toolchain, so changing them
# does not rebuild the node image.
SAMPLE_PLUGIN_SECTIONS = ("flannel", "flannel_cni_plugin")


@cache
def load(path: Path = VERSIONS_FILE) -> Versions:
    """Read the pinned versions."""
    with path.open("rb") as fh:
        return Versions(tomllib.load(fh))
