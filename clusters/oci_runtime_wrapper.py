"""An OCI runtime that wraps runc and drops capabilities the host cannot grant.

dockerd registers this script as its default runtime (`--add-runtime wc-runc=PATH --default-runtime
wc-runc`) on hosts whose capability bounding set is incomplete (a sandbox without CAP_SYS_RESOURCE, for
example). Docker asks runc for every capability under `--privileged`, and runc then fails with "unable
to apply caps: operation not permitted". Before `create` and `run` this wrapper removes, from every list
under `process.capabilities` in `<bundle>/config.json`, each capability absent from the host's bounding
set; before `exec` it does the same in the process JSON given by `--process`. Then it execs the real
runc with the unchanged arguments. Any problem with its own edit is ignored: runc then sees the files
as they were.

Standalone and stdlib-only: the project installs a copy with a `#!/usr/bin/python3` shebang and
REAL_RUNC rewritten to the runc it found. The pure functions are importable for unit tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile

# Rewritten at install time. The environment variable WC_REAL_RUNC overrides it.
REAL_RUNC = "/usr/sbin/runc"

# When set, the wrapper appends one line per edit to this file (debugging aid).
LOG_ENV = "WC_RUNC_WRAPPER_LOG"

# Linux capability numbers (include/uapi/linux/capability.h).
CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",  # 0
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",  # 5
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",  # 10
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",  # 15
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",  # 20
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",  # 25
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",  # 30
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",  # 35
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",  # 40
)
CAPABILITY_NUMBERS: dict[str, int] = {name: number for number, name in enumerate(CAPABILITIES)}

# runc's global flags that take a value (urfave/cli: `--root X`, `-root X`, `--root=X`).
GLOBAL_VALUE_FLAGS = frozenset({"root", "log", "log-format", "criu", "rootless"})
# Flags of `runc create`/`runc run`/`runc exec` that take a value (runc 1.1); others are booleans.
CREATE_VALUE_FLAGS = frozenset({"bundle", "b", "console-socket", "pid-file", "preserve-fds"})
EXEC_VALUE_FLAGS = frozenset(
    {
        "console-socket",
        "cwd",
        "env",
        "e",
        "user",
        "u",
        "additional-gids",
        "g",
        "process",
        "p",
        "process-label",
        "apparmor",
        "cap",
        "c",
        "preserve-fds",
        "pid-file",
        "cgroup",
    }
)


def parse_capbnd(status_text: str) -> int:
    """The CapBnd mask from the text of /proc/<pid>/status."""
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split(":", 1)[1].strip(), 16)
    raise ValueError("no CapBnd line in status text")


def host_bounding_set(status_path: str = "/proc/self/status") -> int:
    """This process's capability bounding set as a mask."""
    with open(status_path, encoding="ascii") as f:
        return parse_capbnd(f.read())


def capability_name(number: int) -> str:
    """The name of a capability number; numbers past the table get a `CAP_<n>` placeholder."""
    return CAPABILITIES[number] if 0 <= number < len(CAPABILITIES) else f"CAP_{number}"


def names_in_mask(mask: int) -> list[str]:
    """Names of the capabilities whose bits are set in mask, in number order."""
    return [capability_name(n) for n in range(mask.bit_length()) if mask >> n & 1]


def full_mask(last_cap: int) -> int:
    """The mask holding every capability from 0 to last_cap (/proc/sys/kernel/cap_last_cap)."""
    return (1 << (last_cap + 1)) - 1


def names_missing(mask: int, last_cap: int) -> list[str]:
    """Names of the capabilities 0..last_cap whose bits are clear in mask."""
    return names_in_mask(full_mask(last_cap) & ~mask)


def allowed(name: str, mask: int) -> bool:
    """Whether a capability name may stay in a spec: known and set in mask, or unknown to this table."""
    upper = name.upper()
    number = CAPABILITY_NUMBERS.get(upper if upper.startswith("CAP_") else f"CAP_{upper}")
    return number is None or bool(mask >> number & 1)


def trim_capabilities(capabilities: dict, mask: int) -> tuple[dict, list[str]]:
    """A copy of an OCI `capabilities` object without the names absent from mask, and the names removed.

    Every list (bounding, effective, inheritable, permitted, ambient, and any other) is trimmed.
    """
    trimmed: dict = {}
    removed: list[str] = []
    for key, value in capabilities.items():
        if isinstance(value, list):
            kept = [name for name in value if not isinstance(name, str) or allowed(name, mask)]
            removed.extend(name for name in value if isinstance(name, str) and not allowed(name, mask))
            trimmed[key] = kept
        else:
            trimmed[key] = value
    return trimmed, sorted(set(removed), key=lambda n: CAPABILITY_NUMBERS.get(n, 1 << 30))


def trim_process(process: dict, mask: int) -> tuple[dict, list[str]]:
    """A copy of an OCI process object (what `runc exec --process` reads) with capabilities trimmed."""
    capabilities = process.get("capabilities")
    if not isinstance(capabilities, dict):
        return process, []
    trimmed, removed = trim_capabilities(capabilities, mask)
    return {**process, "capabilities": trimmed}, removed


def trim_spec(spec: dict, mask: int) -> tuple[dict, list[str]]:
    """A copy of an OCI bundle config (config.json) with `process.capabilities` trimmed."""
    process = spec.get("process")
    if not isinstance(process, dict):
        return spec, []
    trimmed, removed = trim_process(process, mask)
    return {**spec, "process": trimmed}, removed


def scan_flags(args: list[str], value_flags: frozenset[str]) -> tuple[list[tuple[str, str | None]], int]:
    """Leading flags of args parsed the way runc (Go's flag package) does, and the index after them.

    `--name value`, `-name value`, `--name=value`; a flag not in value_flags takes no value. Parsing
    stops at the first argument that is not a flag, or after `--`.
    """
    flags: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            return flags, i + 1
        if not token.startswith("-") or token == "-":
            break
        name = token[2:] if token.startswith("--") else token[1:]
        value: str | None = None
        if "=" in name:
            name, value = name.split("=", 1)
        elif name in value_flags and i + 1 < len(args):
            i += 1
            value = args[i]
        flags.append((name, value))
        i += 1
    return flags, i


def find_subcommand(args: list[str]) -> tuple[int, str] | None:
    """Index and name of runc's subcommand in args (argv without argv[0]), after the global flags."""
    _, index = scan_flags(args, GLOBAL_VALUE_FLAGS)
    if index < len(args):
        return index, args[index]
    return None


def _flag_value(args: list[str], value_flags: frozenset[str], names: tuple[str, ...]) -> str | None:
    found: str | None = None
    for name, value in scan_flags(args, value_flags)[0]:
        if name in names and value is not None:
            found = value  # the last occurrence wins, as in Go's flag package
    return found


def find_bundle(sub_args: list[str], cwd: str) -> str:
    """The bundle folder of `runc create|run` given the arguments after the subcommand (default cwd)."""
    bundle = _flag_value(sub_args, CREATE_VALUE_FLAGS, ("bundle", "b"))
    return os.path.join(cwd, bundle) if bundle else cwd


def find_process_file(sub_args: list[str]) -> str | None:
    """The `--process` JSON of `runc exec` given the arguments after the subcommand, if any."""
    return _flag_value(sub_args, EXEC_VALUE_FLAGS, ("process", "p"))


def file_to_trim(args: list[str], cwd: str) -> tuple[str, str] | None:
    """(path, kind) of the JSON to edit for this runc invocation, kind "spec" or "process"; else None."""
    found = find_subcommand(args)
    if found is None:
        return None
    index, subcommand = found
    sub_args = args[index + 1 :]
    if subcommand in ("create", "run"):
        return os.path.join(find_bundle(sub_args, cwd), "config.json"), "spec"
    if subcommand == "exec":
        process = find_process_file(sub_args)
        return (os.path.join(cwd, process), "process") if process else None
    return None


def trim_file(path: str, kind: str, mask: int) -> list[str]:
    """Trim the capabilities in a spec or process JSON file in place; the names removed."""
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    if not isinstance(document, dict):
        return []
    trimmed, removed = (trim_spec if kind == "spec" else trim_process)(document, mask)
    if not removed:
        return []
    mode = os.stat(path).st_mode & 0o7777
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".wc-runc-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(trimmed, f)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return removed


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def real_runc(self_path: str) -> str | None:
    """The runc to exec: $WC_REAL_RUNC, REAL_RUNC, else the first `runc` on PATH that is not this script."""
    for candidate in (os.environ.get("WC_REAL_RUNC"), REAL_RUNC):
        if candidate and os.access(candidate, os.X_OK) and not _same_file(candidate, self_path):
            return candidate
    folders = os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    for folder in folders:
        found = shutil.which("runc", path=folder) if folder else None
        if found and not _same_file(found, self_path):
            return found
    return None


def _log(line: str) -> None:
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def main(argv: list[str]) -> None:
    """Trim what the host cannot grant, then become the real runc with the same arguments."""
    self_path = os.path.abspath(__file__)
    try:
        target = file_to_trim(argv[1:], os.getcwd())
        if target is not None and os.path.isfile(target[0]):
            removed = trim_file(target[0], target[1], host_bounding_set())
            if removed:
                _log(f"{target[0]}: removed {' '.join(removed)}")
    except Exception as err:  # never fail because of our own edit
        with contextlib.suppress(Exception):
            _log(f"wc-runc: left {argv[1:]} unchanged: {type(err).__name__}: {err}")
    runc = real_runc(self_path)
    if runc is None:
        sys.stderr.write("wc-runc: no runc found (set WC_REAL_RUNC or install runc)\n")
        sys.exit(127)
    os.execv(runc, [runc, *argv[1:]])


if __name__ == "__main__":
    main(sys.argv)
