"""A lock file several processes take in turn: exclusively, or shared among readers."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import TextIO

from clusters.kube.waits import NotYet, Probe, wait_for


class FileLock:
    """An flock on a file, exclusive or shared; an exclusive holder writes its name into it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None

    def acquire(self, holder: str, *, timeout: float, shared: bool = False) -> None:
        """Wait until this process holds the lock (WaitTimeout names the holder seen last)."""
        file = self.path.open("a+")
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX

        def probe() -> None:
            try:
                fcntl.flock(file, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                file.seek(0)
                raise NotYet(f"held by {file.read().strip() or 'other workers'}") from None

        try:
            wait_for(Probe(probe, "free", timeout=timeout, subject=f"lock {self.path}", interval=0.2))
        except BaseException:
            file.close()
            raise
        if not shared:
            file.seek(0)
            file.truncate()
            file.write(holder)
            file.flush()
        self._file = file

    def release(self) -> None:
        """Let the next waiter in; safe to call when not held."""
        file, self._file = self._file, None
        if file is None:
            return
        fcntl.flock(file, fcntl.LOCK_UN)
        file.close()

    def holder(self) -> str | None:
        """None when the lock is free now; else who holds it (as written by an exclusive holder)."""
        with self.path.open("a+") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.seek(0)
                return file.read().strip() or "another process"
            fcntl.flock(file, fcntl.LOCK_UN)
            return None
