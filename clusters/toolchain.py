"""Which toolchain a cluster is made with: kind's official release where registries answer,
otherwise the hermetic build from pinned sources. Detected, never assumed."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

from clusters.progress import Progress

MODES = ("auto", "hermetic", "official")
REGISTRY_PROBE = ("registry-1.docker.io", 443)


@dataclass(frozen=True)
class Toolchain:
    """What cluster creation needs, wherever it came from."""

    mode: str  # "hermetic" (built here) or "official" (kind's release binary and node images)
    kind: Path
    kubectl: Path
    node_image: str
    toolbox_image: str
    kubernetes_version: str
    kind_version: str

    def to_json(self) -> str:
        return json.dumps({k: str(v) for k, v in asdict(self).items()}, indent=2)


def registry_reachable(address: tuple[str, int] = REGISTRY_PROBE, timeout: float = 3.0) -> bool:
    """Whether the public image registry answers a TCP connection."""
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def choose_mode(requested: str | None = None) -> str:
    """hermetic or official: $WC_TOOLCHAIN or the request, else detected from the network."""
    mode = requested or os.environ.get("WC_TOOLCHAIN", "auto")
    if mode not in MODES:
        raise ValueError(f"toolchain mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == "auto":
        mode = "official" if registry_reachable() else "hermetic"
    return mode


def resolve(requested: str | None = None, progress: Progress | None = None) -> Toolchain:
    """Build or fetch the toolchain for the chosen mode."""
    progress = progress or Progress()
    mode = choose_mode(requested)
    if mode == "official":
        from clusters.official import fetch

        return fetch(progress)
    from clusters.build.hermetic import build

    return build(progress=progress)
