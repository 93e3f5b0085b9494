"""Which toolchain a cluster is made with: kind's official release where registries answer,
otherwise the hermetic build from pinned sources. Detected, never assumed."""

from __future__ import annotations

import os
import socket

from clusters.build.hermetic import build, toolbox_tag
from clusters.file_lock import FileLock
from clusters.official import fetch
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.toolbox_image import REGISTRY_TOOLBOX
from clusters.toolchain_spec import Toolchain
from clusters.versions import load

MODES = ("auto", "hermetic", "official")
REGISTRY_PROBE = ("registry-1.docker.io", 443)
#: Seconds to wait for another process building the toolchain (a cold build takes about 25 minutes).
BUILD_LOCK_TIMEOUT = 3600


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
    # One process at a time builds, fetches or checks it: concurrent `go mod download` runs, or two
    # Docker engines started at once, fail. Warm, the check takes about a second.
    lock = FileLock(cache_dir() / "toolchain.lock")
    holder = lock.holder()
    if holder is None:
        lock.acquire(f"pid {os.getpid()}", timeout=BUILD_LOCK_TIMEOUT)
    else:
        with progress.step(f"Waiting for {holder} to build or check the toolchain"):
            lock.acquire(f"pid {os.getpid()}", timeout=BUILD_LOCK_TIMEOUT)
    try:
        return fetch(progress) if mode == "official" else build(progress=progress)
    finally:
        lock.release()


def toolbox_reference(requested: str | None = None) -> str:
    """The toolbox image the chosen toolchain's clusters run, named without building or fetching it."""
    return REGISTRY_TOOLBOX if choose_mode(requested) == "official" else toolbox_tag(load())
