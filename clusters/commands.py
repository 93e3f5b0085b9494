"""One way to run an external command: argv, exit code and output are kept on failure."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


class CommandError(RuntimeError):
    """A command exited non-zero (or could not start); keeps what is needed to diagnose it."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.output = output
        tail = "\n".join(output.strip().splitlines()[-25:])
        super().__init__(f"`{shlex.join(self.argv)}` exited {returncode}" + (f":\n{tail}" if tail else ""))


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run argv, capturing stdout and stderr together; raise CommandError when it fails."""
    args = [str(a) for a in argv]
    full_env = {**os.environ, **env} if env is not None else None
    data = input.decode() if isinstance(input, bytes) else input
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            env=full_env,
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except FileNotFoundError as err:
        raise CommandError(args, 127, f"{args[0]}: not found") from err
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        raise CommandError(args, -1, f"timed out after {timeout}s\n{out}") from err
    if check and done.returncode != 0:
        raise CommandError(args, done.returncode, done.stdout)
    return done


def output(argv: Sequence[str | os.PathLike[str]], **kwargs: object) -> str:
    """Run argv and return its stripped output."""
    return run(argv, **kwargs).stdout.strip()  # type: ignore[arg-type]
