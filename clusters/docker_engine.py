"""A Docker engine to run kind on: use the one that answers, or start one on Debian as root.

An engine that already answers is used as it is (never restarted or reconfigured). Otherwise, on
Debian as root, docker.io is installed from Debian packages when dockerd is missing and dockerd is
started detached. When the capability bounding set of this machine lacks a capability (a sandbox
without CAP_SYS_RESOURCE, for example), `docker run --privileged` fails in runc; dockerd is then started
with the capability-trimming OCI runtime of clusters/oci_runtime_wrapper.py as its default runtime.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from clusters import oci_runtime_wrapper
from clusters.commands import CommandError, run
from clusters.paths import cache_dir
from clusters.progress import Progress

DEFAULT_HOST = "unix:///var/run/docker.sock"
WRAPPER_RUNTIME = "wc-runc"
WRAPPER_PYTHON = "/usr/bin/python3"
START_TIMEOUT = 60.0
SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


class DockerUnavailable(RuntimeError):
    """No Docker engine can be used here; str() is one line saying what is missing and how to fix it."""

    def __init__(self, missing: str, fix: str) -> None:
        self.missing = " ".join(missing.split())
        self.fix = " ".join(fix.split())
        super().__init__(f"{self.missing}: {self.fix}")


class DockerStartFailed(RuntimeError):
    """dockerd was started (or found running) but did not answer; the message ends with its log tail."""


@dataclass
class EngineInfo:
    """The engine in use. privileged_ok: `--privileged` is expected to work (see ensure_docker_engine)."""

    server_version: str
    started_by_us: bool
    runtime: str
    privileged_ok: bool


# --- capabilities ---------------------------------------------------------------------------------


def _last_cap() -> int:
    return int(Path("/proc/sys/kernel/cap_last_cap").read_text().strip())


def bounding_set_missing() -> list[str]:
    """Names of the capabilities (0..cap_last_cap) absent from this process's bounding set."""
    return oci_runtime_wrapper.names_missing(oci_runtime_wrapper.host_bounding_set(), _last_cap())


# --- probing --------------------------------------------------------------------------------------


def docker_host() -> str:
    """The engine address the docker CLI talks to (DOCKER_HOST, else the default socket)."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def engine_info() -> dict | None:
    """`docker info` as a dict when an engine answers, else None."""
    try:
        done = run(["docker", "info", "--format", "{{json .}}"], check=False, timeout=20)
    except CommandError:  # docker missing, or no answer in time
        return None
    if done.returncode != 0:
        return None
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            info = json.loads(line)
            if info.get("ServerVersion"):
                return info
    return None


def _dockerd_path() -> str | None:
    return shutil.which("dockerd", path=_system_path())


def _system_path() -> str:
    parts = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join([p for p in parts if p] + [p for p in SYSTEM_PATH if p not in parts])


def _is_debian() -> bool:
    return Path("/etc/debian_version").is_file()


def _is_root() -> bool:
    return os.geteuid() == 0


def _pid_alive(pid: int, name: str = "dockerd") -> bool:
    """Whether pid is a running (not zombie) process named name."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    comm = stat[stat.find("(") + 1 : stat.rfind(")")]
    state = stat[stat.rfind(")") + 1 :].split()[:1]
    return comm == name and state != ["Z"]


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _state_dir() -> Path:
    return cache_dir("docker")


def _our_dockerd_pid() -> int | None:
    """The pid of the dockerd this project started, while it runs."""
    pid = _read_pid(_state_dir() / "dockerd.pid")
    return pid if pid is not None and _pid_alive(pid) else None


def _running_dockerd_pid() -> int | None:
    """The pid of a running dockerd on the default socket (from /var/run/docker.pid), if any."""
    pid = _read_pid(Path("/var/run/docker.pid"))
    return pid if pid is not None and _pid_alive(pid) else None


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return f"(no log at {log})"
    text = text.rsplit("=== wc: ", 1)[-1]
    return "\n".join(text.strip().splitlines()[-lines:])


def _describe(info: dict, started_by_us: bool) -> EngineInfo:
    runtime = info.get("DefaultRuntime") or "runc"
    try:
        complete = not bounding_set_missing()
    except (OSError, ValueError):  # no /proc here (the engine runs elsewhere): nothing to compare
        complete = True
    privileged_ok = runtime == WRAPPER_RUNTIME or complete
    return EngineInfo(str(info["ServerVersion"]), started_by_us, runtime, privileged_ok)


# --- installing and starting ----------------------------------------------------------------------


def unavailable_reason() -> DockerUnavailable | None:
    """Why this machine cannot get an engine by itself (not Debian, not root, DOCKER_HOST elsewhere)."""
    host = docker_host()
    cli = shutil.which("docker") is not None
    missing = f"no Docker engine answers at {host}" if cli else "the docker CLI is not installed"
    if host != DEFAULT_HOST:
        return DockerUnavailable(
            f"no Docker engine answers at {host} (DOCKER_HOST)",
            "start that engine, or unset DOCKER_HOST to let this tool start a local one, then rerun",
        )
    if not _is_debian():
        return DockerUnavailable(
            f"{missing} and this machine is not Debian",
            "install Docker (https://docs.docker.com/engine/install/) and start it, then rerun",
        )
    if not _is_root():
        return DockerUnavailable(
            f"{missing} and this process is not root",
            "run `sudo apt-get install -y docker.io && sudo dockerd &`, or rerun as root, then rerun",
        )
    return None


def render_wrapper(source: str, real_runc: str, python: str = WRAPPER_PYTHON) -> str:
    """The wrapper script text: a shebang for python, and REAL_RUNC set to the runc found here."""
    lines = source.splitlines(keepends=True)
    if lines and lines[0].startswith("#!"):
        lines = lines[1:]
    body, count = re.subn(
        r"^REAL_RUNC = .*$", lambda _: f"REAL_RUNC = {real_runc!r}", "".join(lines), count=1, flags=re.M
    )
    if count != 1:
        raise ValueError("the wrapper source has no REAL_RUNC line")
    return f"#!{python}\n{body}"


def install_wrapper() -> Path:
    """Install the capability-trimming runtime to cache_dir("bin")/wc-runc (mode 755); its path."""
    runc = shutil.which("runc", path=_system_path())
    if runc is None:
        raise DockerUnavailable("runc is not installed", "run `apt-get install -y runc`, then rerun")
    python = WRAPPER_PYTHON if os.access(WRAPPER_PYTHON, os.X_OK) else os.path.realpath(sys.executable)
    source = Path(oci_runtime_wrapper.__file__).read_text()
    text = render_wrapper(source, os.path.realpath(runc), python)
    target = cache_dir("bin") / WRAPPER_RUNTIME
    fd, temporary = tempfile.mkstemp(prefix=".wc-runc-", dir=target.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(temporary, 0o755)
    os.replace(temporary, target)  # atomic: a runc call in flight never sees half a script
    return target


def dockerd_argv(dockerd: str, wrapper: Path | None) -> list[str]:
    """The dockerd command line, with the wrapper as default runtime when given."""
    if wrapper is None:
        return [dockerd]
    return [dockerd, "--add-runtime", f"{WRAPPER_RUNTIME}={wrapper}", "--default-runtime", WRAPPER_RUNTIME]


def _start_dockerd(argv: list[str]) -> subprocess.Popen[bytes]:
    state = _state_dir()
    log = state / "dockerd.log"
    with log.open("ab") as out:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"=== wc: {stamp} {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "PATH": _system_path()},
        )
    (state / "dockerd.pid").write_text(f"{proc.pid}\n")
    return proc


class _NotReady(Exception):
    pass


def _wait_for_engine(pid: int, timeout: float = START_TIMEOUT) -> dict:
    """Wait (bounded) until `docker info` answers while dockerd pid runs; raise DockerStartFailed."""
    log = _state_dir() / "dockerd.log"

    def probe() -> dict:
        info = engine_info()
        if info is not None:
            return info
        if not _pid_alive(pid):
            raise DockerStartFailed(f"dockerd (pid {pid}) exited; last lines of {log}:\n{_log_tail(log)}")
        raise _NotReady

    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(1),
        retry=retry_if_exception_type(_NotReady),
        reraise=True,
    )
    try:
        return retrying(probe)
    except _NotReady:
        tail = _log_tail(log)
        raise DockerStartFailed(
            f"dockerd (pid {pid}) did not answer within {timeout:.0f} s; last lines of {log}:\n{tail}"
        ) from None


def ensure_docker_engine(progress: Progress | None = None) -> EngineInfo:
    """A Docker engine that answers: the running one untouched, else one started here (Debian, root).

    Raises DockerUnavailable (one line) when no engine answers and this machine cannot start one, and
    StepFailed (from Progress.step) when installing or starting fails. EngineInfo.privileged_ok is True
    when this machine's bounding set is complete or the engine's default runtime is the wrapper.
    """
    progress = progress or Progress()
    info = engine_info()
    if info is not None:
        ours = _our_dockerd_pid()
        started_by_us = ours is not None and ours == _running_dockerd_pid()
        with progress.step(f"Using the Docker engine at {docker_host()}") as record:
            engine = _describe(info, started_by_us)
            record.detail = f"Docker {engine.server_version}, runtime {engine.runtime}"
        return engine

    reason = unavailable_reason()
    if reason is not None:
        raise reason

    if _dockerd_path() is None or shutil.which("docker") is None:
        with progress.step("Installing docker.io from Debian packages"):
            env = {"DEBIAN_FRONTEND": "noninteractive"}
            run(["apt-get", "update"], env=env, timeout=600)
            run(["apt-get", "install", "-y", "docker.io"], env=env, timeout=1200)

    running = _running_dockerd_pid()
    if running is not None:  # a dockerd is still starting (or stuck): wait, never restart it
        with progress.step(f"Waiting for the running dockerd (pid {running}) to answer") as record:
            info = _wait_for_engine(running)
            record.detail = f"Docker {info['ServerVersion']}"
        return _describe(info, running == _our_dockerd_pid())

    missing = bounding_set_missing()
    wrapper: Path | None = None
    if missing:
        title = f"Installing OCI runtime {WRAPPER_RUNTIME} (host lacks {', '.join(missing)})"
        with progress.step(title) as rec:
            wrapper = install_wrapper()
            rec.detail = str(wrapper)

    dockerd = _dockerd_path()
    if dockerd is None:
        raise DockerUnavailable("dockerd is not installed", "run `apt-get install -y docker.io`, then rerun")
    title = "Starting dockerd"
    if wrapper is not None:
        title += f" with capability-trimming runtime {WRAPPER_RUNTIME}"
    with progress.step(title) as record:
        proc = _start_dockerd(dockerd_argv(dockerd, wrapper))
        try:
            info = _wait_for_engine(proc.pid)
        except DockerStartFailed:
            if proc.poll() is None:  # ours and stuck: stop it so the next attempt starts clean
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            raise
        record.detail = f"Docker {info['ServerVersion']}, pid {proc.pid}, log {_state_dir() / 'dockerd.log'}"
    return _describe(info, True)
