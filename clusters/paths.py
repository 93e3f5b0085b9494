"""Where the project keeps what it builds and starts: outside the checkout, keyed by versions."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The cache folder: $WC_CACHE_DIR, else $XDG_CACHE_HOME/workload-conformance, else ~/.cache/..."""
    explicit = os.environ.get("WC_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workload-conformance"


def cache_dir(*parts: str) -> Path:
    """A folder under the cache root, created on first use."""
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
