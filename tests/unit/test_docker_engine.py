"""Unit tests of the pure logic behind the Docker engine bootstrap and the capability-trimming runtime."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clusters import docker_engine
from clusters import oci_runtime_wrapper as w

SANDBOX_CAPBND = 0x1FFFEFFFFFF  # every capability 0..40 but CAP_SYS_RESOURCE (24)
STATUS = """Name:\tpython3
Umask:\t0022
State:\tR (running)
CapInh:\t0000000000000000
CapPrm:\t000001fffeffffff
CapEff:\t000001fffeffffff
CapBnd:\t000001fffeffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t0
"""


# --- capability masks -----------------------------------------------------------------------------


def test_parse_capbnd_reads_the_bounding_line() -> None:
    assert w.parse_capbnd(STATUS) == SANDBOX_CAPBND


def test_parse_capbnd_without_line_raises() -> None:
    with pytest.raises(ValueError):
        w.parse_capbnd("Name:\tx\n")


def test_sandbox_mask_lacks_exactly_sys_resource() -> None:
    assert w.names_missing(SANDBOX_CAPBND, 40) == ["CAP_SYS_RESOURCE"]


def test_full_mask_lacks_nothing() -> None:
    assert w.names_missing(w.full_mask(40), 40) == []
    assert w.full_mask(40) == 0x1FFFFFFFFFF


def test_capability_numbering_is_linux_standard() -> None:
    assert len(w.CAPABILITIES) == 41
    assert w.CAPABILITY_NUMBERS["CAP_CHOWN"] == 0
    assert w.CAPABILITY_NUMBERS["CAP_SYS_ADMIN"] == 21
    assert w.CAPABILITY_NUMBERS["CAP_SYS_RESOURCE"] == 24
    assert w.CAPABILITY_NUMBERS["CAP_AUDIT_READ"] == 37
    assert w.CAPABILITY_NUMBERS["CAP_CHECKPOINT_RESTORE"] == 40


def test_names_in_mask() -> None:
    assert w.names_in_mask(0b101) == ["CAP_CHOWN", "CAP_DAC_READ_SEARCH"]
    assert "CAP_SYS_RESOURCE" not in w.names_in_mask(SANDBOX_CAPBND)
    assert len(w.names_in_mask(SANDBOX_CAPBND)) == 40


def test_caps_past_the_table_get_placeholder_names() -> None:
    assert w.names_missing(w.full_mask(40), 42) == ["CAP_41", "CAP_42"]


# --- trimming specs -------------------------------------------------------------------------------

ALL = list(w.CAPABILITIES)
LISTS = ("bounding", "effective", "inheritable", "permitted", "ambient")


def privileged_spec() -> dict:
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "args": ["true"],
            "capabilities": {key: list(ALL) for key in LISTS},
        },
        "root": {"path": "rootfs"},
    }


def test_trim_spec_removes_missing_cap_from_all_five_lists() -> None:
    spec = privileged_spec()
    trimmed, removed = w.trim_spec(spec, SANDBOX_CAPBND)
    assert removed == ["CAP_SYS_RESOURCE"]
    expected = [name for name in ALL if name != "CAP_SYS_RESOURCE"]
    for key in LISTS:
        assert trimmed["process"]["capabilities"][key] == expected, key
    assert trimmed["root"] == spec["root"]
    assert trimmed["process"]["args"] == ["true"]
    assert "CAP_SYS_RESOURCE" in spec["process"]["capabilities"]["bounding"]  # input left untouched


def test_trim_spec_with_full_mask_changes_nothing() -> None:
    spec = privileged_spec()
    trimmed, removed = w.trim_spec(spec, w.full_mask(40))
    assert removed == []
    assert trimmed == spec


def test_trim_keeps_names_unknown_to_the_table() -> None:
    caps = {"bounding": ["CAP_FUTURE_THING", "CAP_SYS_RESOURCE", "CAP_KILL"]}
    trimmed, removed = w.trim_capabilities(caps, SANDBOX_CAPBND)
    assert trimmed == {"bounding": ["CAP_FUTURE_THING", "CAP_KILL"]}
    assert removed == ["CAP_SYS_RESOURCE"]


def test_trim_spec_without_process_or_capabilities() -> None:
    assert w.trim_spec({"ociVersion": "1"}, SANDBOX_CAPBND) == ({"ociVersion": "1"}, [])
    assert w.trim_spec({"process": {"args": ["x"]}}, SANDBOX_CAPBND)[1] == []


def test_trim_process_for_exec() -> None:
    process = {"args": ["sh"], "capabilities": {key: list(ALL) for key in LISTS}}
    trimmed, removed = w.trim_process(process, SANDBOX_CAPBND)
    assert removed == ["CAP_SYS_RESOURCE"]
    assert all("CAP_SYS_RESOURCE" not in trimmed["capabilities"][key] for key in LISTS)


def test_trim_file_rewrites_in_place_keeping_mode(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(privileged_spec()))
    config.chmod(0o600)
    assert w.trim_file(str(config), "spec", SANDBOX_CAPBND) == ["CAP_SYS_RESOURCE"]
    data = json.loads(config.read_text())
    assert "CAP_SYS_RESOURCE" not in data["process"]["capabilities"]["effective"]
    assert config.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


# --- finding runc's subcommand, bundle and process file ----------------------------------------------

GLOBAL_FORMS = [
    [],
    ["--root", "/run/docker/runtime-runc/moby"],
    ["--root=/run/x", "--log", "/b/log.json", "--log-format", "json"],
    ["-root", "/run/x", "--systemd-cgroup", "--debug"],
    ["--debug", "--log=/b/log.json", "--log-format=json", "--systemd-cgroup", "--root", "/run/x"],
    ["--criu", "criu", "--rootless", "auto"],
]


@pytest.mark.parametrize("global_flags", GLOBAL_FORMS)
def test_find_subcommand_after_global_flags(global_flags: list[str]) -> None:
    args = [*global_flags, "create", "--bundle", "/b", "id"]
    assert w.find_subcommand(args) == (len(global_flags), "create")


def test_find_subcommand_none_when_only_flags() -> None:
    assert w.find_subcommand(["--version"]) is None
    assert w.find_subcommand([]) is None


@pytest.mark.parametrize(
    ("sub_args", "expected"),
    [
        (["--bundle", "/b", "--pid-file", "/b/init.pid", "id"], "/b"),
        (["-b", "/b", "id"], "/b"),
        (["--bundle=/b", "id"], "/b"),
        (["-bundle", "/b", "id"], "/b"),
        (["--pid-file", "/x/pid", "--console-socket", "/x/sock", "--bundle", "/b", "id"], "/b"),
        (["--no-pivot", "-b", "rel", "id"], "/cwd/rel"),
        (["--pid-file", "p", "id"], "/cwd"),
        (["id"], "/cwd"),
        (["id", "--bundle", "/late"], "/cwd"),  # flags after the container id are not runc's
    ],
)
def test_find_bundle(sub_args: list[str], expected: str) -> None:
    assert w.find_bundle(sub_args, "/cwd") == expected


@pytest.mark.parametrize(
    ("sub_args", "expected"),
    [
        (["--process", "/tmp/runc-process1", "--detach", "--pid-file", "/x/pid", "id"], "/tmp/runc-process1"),
        (["-p", "/tmp/p.json", "id"], "/tmp/p.json"),
        (["--process=/tmp/p.json", "id"], "/tmp/p.json"),
        (["--console-socket", "/s", "--tty", "--process", "/tmp/p.json", "id"], "/tmp/p.json"),
        (["--cwd", "/", "--env", "A=1", "id", "sh"], None),
        (["id", "ls", "-p", "/x"], None),  # the command's own -p is not --process
    ],
)
def test_find_process_file(sub_args: list[str], expected: str | None) -> None:
    assert w.find_process_file(sub_args) == expected


@pytest.mark.parametrize("global_flags", GLOBAL_FORMS)
def test_file_to_trim_for_each_subcommand(global_flags: list[str]) -> None:
    create = [*global_flags, "create", "--bundle", "/b", "--pid-file", "/b/pid", "id"]
    run = [*global_flags, "run", "-b", "/b", "-d", "id"]
    exec_ = [*global_flags, "exec", "--process", "/tmp/p.json", "--detach", "id"]
    assert w.file_to_trim(create, "/cwd") == ("/b/config.json", "spec")
    assert w.file_to_trim(run, "/cwd") == ("/b/config.json", "spec")
    assert w.file_to_trim(exec_, "/cwd") == ("/tmp/p.json", "process")
    assert w.file_to_trim([*global_flags, "start", "id"], "/cwd") is None
    assert w.file_to_trim([*global_flags, "delete", "--force", "id"], "/cwd") is None
    assert w.file_to_trim([*global_flags, "exec", "id", "sh"], "/cwd") is None


def test_main_passes_through_when_the_bundle_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(w.os, "execv", lambda path, argv: calls.append((path, argv)))
    monkeypatch.setenv("WC_REAL_RUNC", "/bin/true")
    argv = ["wc-runc", "--root", "/r", "create", "--bundle", "/does/not/exist", "id"]
    w.main(argv)
    assert calls == [("/bin/true", ["/bin/true", *argv[1:]])]


def test_main_trims_the_bundle_then_execs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text(json.dumps(privileged_spec()))
    calls: list[str] = []
    monkeypatch.setattr(w.os, "execv", lambda path, argv: calls.append(path))
    monkeypatch.setattr(w, "host_bounding_set", lambda: SANDBOX_CAPBND)
    monkeypatch.setenv("WC_REAL_RUNC", "/bin/true")
    w.main(["wc-runc", "--log-format", "json", "run", "--bundle", str(tmp_path), "id"])
    data = json.loads((tmp_path / "config.json").read_text())
    assert "CAP_SYS_RESOURCE" not in data["process"]["capabilities"]["bounding"]
    assert calls == ["/bin/true"]


def test_main_ignores_an_unreadable_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text("{not json")
    calls: list[str] = []
    monkeypatch.setattr(w.os, "execv", lambda path, argv: calls.append(path))
    monkeypatch.setenv("WC_REAL_RUNC", "/bin/true")
    w.main(["wc-runc", "create", "--bundle", str(tmp_path), "id"])
    assert calls == ["/bin/true"]
    assert (tmp_path / "config.json").read_text() == "{not json"


# --- docker_engine helpers ------------------------------------------------------------------------


def test_docker_unavailable_is_one_line() -> None:
    err = docker_engine.DockerUnavailable(
        "no Docker engine answers at unix:///var/run/docker.sock\nand this machine is not Debian",
        "install Docker and start it,\n  then rerun",
    )
    message = str(err)
    assert "\n" not in message
    assert message.startswith("no Docker engine answers at unix:///var/run/docker.sock")
    assert message.endswith("then rerun")


@pytest.mark.parametrize(("debian", "root"), [(False, True), (True, False), (False, False)])
def test_unavailable_reason_off_debian_or_root(
    monkeypatch: pytest.MonkeyPatch, debian: bool, root: bool
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker_engine, "_is_debian", lambda: debian)
    monkeypatch.setattr(docker_engine, "_is_root", lambda: root)
    reason = docker_engine.unavailable_reason()
    assert isinstance(reason, docker_engine.DockerUnavailable)
    assert "\n" not in str(reason)
    assert ("not Debian" in str(reason)) is (not debian)


def test_unavailable_reason_none_on_debian_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker_engine, "_is_debian", lambda: True)
    monkeypatch.setattr(docker_engine, "_is_root", lambda: True)
    assert docker_engine.unavailable_reason() is None


def test_unavailable_reason_for_a_remote_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.1:2375")
    reason = docker_engine.unavailable_reason()
    assert reason is not None and "DOCKER_HOST" in str(reason) and "\n" not in str(reason)


def test_ensure_raises_docker_unavailable_when_nothing_can_be_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker_engine, "engine_info", lambda: None)
    monkeypatch.setattr(docker_engine, "_is_debian", lambda: False)
    with pytest.raises(docker_engine.DockerUnavailable):
        docker_engine.ensure_docker_engine()


def test_render_wrapper_sets_shebang_and_real_runc() -> None:
    source = Path(w.__file__).read_text()
    text = docker_engine.render_wrapper(source, "/opt/runc", "/usr/bin/python3")
    assert text.startswith("#!/usr/bin/python3\n")
    assert "REAL_RUNC = '/opt/runc'\n" in text
    namespace: dict = {"__name__": "wc_runc_rendered"}
    exec(compile(text, "wc-runc", "exec"), namespace)  # the rendered script still compiles and loads
    assert namespace["REAL_RUNC"] == "/opt/runc"


def test_dockerd_argv() -> None:
    assert docker_engine.dockerd_argv("/usr/sbin/dockerd", None) == ["/usr/sbin/dockerd"]
    argv = docker_engine.dockerd_argv("/usr/sbin/dockerd", Path("/c/bin/wc-runc"))
    assert argv == [
        "/usr/sbin/dockerd",
        "--add-runtime",
        "wc-runc=/c/bin/wc-runc",
        "--default-runtime",
        "wc-runc",
    ]


def test_bounding_set_missing_matches_this_machine() -> None:
    mask = w.host_bounding_set()
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    assert docker_engine.bounding_set_missing() == w.names_missing(mask, last)
    assert os.path.exists("/proc/self/status")


def test_wait_fails_fast_with_log_tail_when_dockerd_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WC_CACHE_DIR", str(tmp_path))
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "dockerd.log").write_text(
        "=== wc: old\nold line\n=== wc: new\nfailed to start daemon\n"
    )
    monkeypatch.setattr(docker_engine, "engine_info", lambda: None)
    monkeypatch.setattr(docker_engine, "_pid_alive", lambda pid, name="dockerd": False)
    with pytest.raises(docker_engine.DockerStartFailed) as caught:
        docker_engine._wait_for_engine(4242, timeout=30)
    assert "exited" in str(caught.value)
    assert str(caught.value).endswith("failed to start daemon")
    assert "old line" not in str(caught.value)


def test_wait_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(docker_engine, "engine_info", lambda: None)
    monkeypatch.setattr(docker_engine, "_pid_alive", lambda pid, name="dockerd": True)
    with pytest.raises(docker_engine.DockerStartFailed, match="did not answer within 1 s"):
        docker_engine._wait_for_engine(4242, timeout=1)
