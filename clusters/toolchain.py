"""Which toolchain a cluster is made with: kind's official release where registries answer,
otherwise the hermetic build from pinned sources. Detected, never assumed."""

from __future__ import annotations

import os
import socket

from clusters.build.hermetic import build, toolbox_tag
from clusters.official import fetch
from clusters.progress import Progress
from clusters.toolbox_image import REGISTRY_TOOLBOX
from clusters.toolchain_spec import Toolchain
from clusters.versions import load

MODES = ("auto", "hermetic", "official")
REGISTRY_PROBE = ("registry-1.docker.io", 443)


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
        return fetch(progress)
    return build(progress=progress)


def toolbox_reference(requested: str | None = None) -> str:
    """The toolbox image the chosen toolchain's clusters run, named without building or fetching it."""
    return REGISTRY_TOOLBOX if choose_mode(requested) == "official" else toolbox_tag(load())
