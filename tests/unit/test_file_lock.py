"""The lock files processes take in turn (the toolchain build, the run's cluster, the node room)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusters.file_lock import FileLock
from clusters.kube.waits import WaitTimeout


def test_an_exclusive_holder_is_named_to_whoever_waits(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "x.lock"), FileLock(tmp_path / "x.lock")
    assert first.holder() is None
    first.acquire("pid 1 building", timeout=1)
    try:
        assert second.holder() == "pid 1 building"
        with pytest.raises(WaitTimeout, match="held by pid 1 building"):
            second.acquire("pid 2", timeout=0.5)
    finally:
        first.release()
    assert second.holder() is None
    second.acquire("pid 2", timeout=1)
    second.release()


def test_shared_holders_run_side_by_side_and_keep_an_exclusive_one_out(tmp_path: Path) -> None:
    readers = [FileLock(tmp_path / "x.lock") for _ in range(2)]
    for reader in readers:
        reader.acquire("reader", timeout=1, shared=True)
    with pytest.raises(WaitTimeout):
        FileLock(tmp_path / "x.lock").acquire("writer", timeout=0.5)
    for reader in readers:
        reader.release()
