"""A real OCI registry on this machine for the duration of a test: the distribution project's registry
(tests/registry: its `registry` package with the filesystem driver), built once with Go from the module
proxy and cached by the hash of its sources, served plain-HTTP on 127.0.0.1 at a free port (Docker pushes
to 127.0.0.0/8 without TLS by default)."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clusters.commands import run
from clusters.kube.waits import Aborted, NotYet, Probe, wait_for
from clusters.paths import cache_dir

SOURCE = Path(__file__).with_name("registry")
BUILD_TIMEOUT = 900
CONFIG = """version: 0.1
log: {{level: warn, accesslog: {{disabled: true}}}}
storage: {{filesystem: {{rootdirectory: {root}}}, delete: {{enabled: true}}}}
http: {{addr: "{address}"}}
"""


def registry_binary() -> Path:
    """The registry, built from tests/registry unless the cache has this version of it."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update((SOURCE / name).read_bytes())
    binary = cache_dir("bin", f"registry-{digest.hexdigest()[:12]}") / "registry"
    if not binary.exists():
        partial = binary.with_name("registry.partial")
        run(
            ["go", "build", "-mod=readonly", "-trimpath", "-o", partial, "."],
            cwd=SOURCE,
            env={"CGO_ENABLED": "0"},
            timeout=BUILD_TIMEOUT,
        )
        partial.rename(binary)
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str, server: subprocess.Popen[bytes], log: Path) -> int:
    if server.poll() is not None:
        raise Aborted(f"the registry exited {server.returncode}: {log.read_text()[-2000:]}")
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except (urllib.error.URLError, OSError) as err:
        raise NotYet(f"GET {url}: {err}") from None


@contextmanager
def running_registry(root: Path) -> Iterator[str]:
    """A registry storing under ``root``; yields its address (127.0.0.1:PORT), stopped afterwards."""
    address = f"127.0.0.1:{free_port()}"
    config = root / "config.yml"
    (root / "data").mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG.format(root=root / "data", address=address))
    log_file = root / "registry.log"
    log = log_file.open("w")
    server = subprocess.Popen([registry_binary(), "serve", config], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(
            Probe(
                lambda: _answers(f"http://{address}/v2/", server, log_file),
                "answers GET /v2/",
                subject=f"registry at {address}",
                timeout=30,
                interval=0.2,
            )
        )
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
