"""A real OCI registry on this machine for the duration of a test: the distribution project's registry,
served plain-HTTP on 127.0.0.1 at a free port (Docker pushes to 127.0.0.0/8 without TLS by default).

Where apt can fetch it, Debian's build of it (package docker-registry), unpacked from the downloaded .deb
into the cache, never installed (installing would start a system service); else tests/registry (its
`registry` package with the filesystem driver), built with Go from the module proxy, which takes about
five minutes on a fresh machine. Either is cached, the build by the hash of its sources."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import tempfile
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


DEBIAN_PACKAGE = "docker-registry"


def debian_registry() -> Path | None:
    """Debian's registry binary, from the package apt downloads (cached); None where apt cannot."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return None
    found = subprocess.run(
        ["apt-cache", "policy", DEBIAN_PACKAGE], capture_output=True, text=True, check=False
    ).stdout
    candidate = next((ln.split(":", 1)[1].strip() for ln in found.splitlines() if "Candidate:" in ln), "")
    if not candidate or candidate == "(none)":
        return None
    binary = cache_dir("bin", f"registry-debian-{candidate.replace(':', '_')}") / DEBIAN_PACKAGE
    if binary.exists():
        return binary
    with tempfile.TemporaryDirectory() as scratch:
        fetched = subprocess.run(
            ["apt-get", "download", "-q", f"{DEBIAN_PACKAGE}={candidate}"],
            cwd=scratch,
            capture_output=True,
            check=False,
            timeout=300,
        )
        debs = list(Path(scratch).glob("*.deb"))
        if fetched.returncode != 0 or len(debs) != 1:
            return None
        run(["dpkg-deb", "-x", debs[0], Path(scratch) / "root"])
        partial = binary.with_name(f"{DEBIAN_PACKAGE}.partial")
        shutil.copy2(Path(scratch) / "root" / "usr" / "bin" / DEBIAN_PACKAGE, partial)
        partial.rename(binary)
    return binary


def registry_binary() -> Path:
    """The registry: Debian's where apt can fetch it, else built from tests/registry unless the cache has
    this version of it."""
    debian = debian_registry()
    if debian is not None:
        return debian
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
