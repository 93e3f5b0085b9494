"""kind and kubectl through pytest-kind's KindCluster, on the toolchain's own binaries.

pytest-kind runs kind with no timeout and downloads kind or kubectl when the path it was given is
missing. ``ToolchainKindCluster`` never downloads (a missing binary fails like a missing command) and
bounds every call: a kind process that runs longer than its timeout is killed, as ``commands.run``
would. Failures are ``CommandError`` for every caller. pytest-kind lets kind write to the terminal, so
kind's own progress and error text reach the user as kind prints them; kubectl's output is captured
and returned, and kept in the error when it fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from pytest_kind import KindCluster

from clusters.commands import CommandError
from clusters.toolchain_spec import Toolchain

T = TypeVar("T")

KIND_OUTPUT_ABOVE = "(kind's own output is above)"


def _child_processes(argv_prefix: Sequence[str]) -> list[int]:
    """Processes this process started whose command line begins with argv_prefix (after an interpreter,
    for a script: `sh SCRIPT ARGS`)."""
    me = str(os.getpid())
    wanted = [a.encode() for a in argv_prefix]
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue  # ended meanwhile, or not ours to read
        if parent == me and wanted in (argv[: len(wanted)], argv[1 : len(wanted) + 1]):
            found.append(int(proc.name))
    return found


class ToolchainKindCluster(KindCluster):
    """A KindCluster that uses the toolchain's kind, kubectl and node image, and a given kubeconfig."""

    def __init__(self, name: str, toolchain: Toolchain, kubeconfig: Path) -> None:
        super().__init__(
            name,
            kubeconfig=kubeconfig,
            image=toolchain.node_image,
            kind_path=Path(toolchain.kind),
            kubectl_path=Path(toolchain.kubectl),
        )

    # pytest-kind downloads a binary it does not find: here a missing one is an error
    def ensure_kind(self) -> None:
        if not self.kind_path.exists():
            raise CommandError(
                [str(self.kind_path)], 127, f"{self.kind_path}: not found (the toolchain's kind)"
            )

    def ensure_kubectl(self) -> None:
        if not self.kubectl_path.exists():
            raise CommandError(
                [str(self.kubectl_path)], 127, f"{self.kubectl_path}: not found (the toolchain's kubectl)"
            )

    def create_within(self, timeout: float, config_file: Path) -> None:
        """``kind create cluster`` with the name, node image, kubeconfig and this config."""
        self._bounded(timeout, ["create", "cluster"], lambda: self.create(config_file=config_file))

    def delete_within(self, timeout: float) -> None:
        """``kind delete cluster`` (which also removes the cluster from the kubeconfig)."""
        self.ensure_kind()
        self._bounded(timeout, ["delete", "cluster"], self.delete)

    def load_docker_image_within(self, timeout: float, image: str) -> None:
        """``kind load docker-image``: a local image into every node."""
        self.ensure_kind()
        self._bounded(timeout, ["load", "docker-image"], lambda: self.load_docker_image(image))

    def kubectl_output(self, *args: str, timeout: float | None = 600) -> str:
        """pytest-kind's kubectl against this cluster: the output (stderr included), stripped."""
        try:
            return self.kubectl(*args, stderr=subprocess.STDOUT, timeout=timeout).strip()
        except subprocess.CalledProcessError as err:
            raise CommandError(err.cmd, err.returncode, err.output or "") from err
        except subprocess.TimeoutExpired as err:
            out = err.output.decode(errors="replace") if isinstance(err.output, bytes) else (err.output or "")
            raise CommandError(err.cmd, -1, f"timed out after {timeout}s\n{out}") from err

    def _bounded(self, timeout: float, command: Sequence[str], call: Callable[[], T]) -> T:
        """Run a pytest-kind call that starts `kind COMMAND ...`; kill that kind when `timeout` passes."""
        with _deadline(timeout, [str(self.kind_path), *command]) as expired:
            try:
                return call()
            except subprocess.CalledProcessError as err:
                detail = f"timed out after {timeout}s" if expired() else ""
                raise CommandError(
                    err.cmd, -1 if expired() else err.returncode, f"{detail} {KIND_OUTPUT_ABOVE}".strip()
                ) from err


@contextmanager
def _deadline(seconds: float, argv_prefix: Sequence[str]) -> Iterator[Callable[[], bool]]:
    """Kill the child processes running argv_prefix once `seconds` pass; yields "has it expired"."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        for pid in _child_processes(argv_prefix):
            with suppress(ProcessLookupError):  # it finished meanwhile
                os.kill(pid, signal.SIGKILL)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired.is_set
    finally:
        timer.cancel()
