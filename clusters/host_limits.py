"""Host limits that decide how many kind nodes fit, checked before nodes are started."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Measured: a kind node (systemd, containerd, kubelet) holds about 16.5 inotify instances.
INOTIFY_INSTANCES_PER_NODE = 17
MAX_USER_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")


@dataclass(frozen=True)
class InotifyBudget:
    limit: int
    in_use: int

    @property
    def nodes_that_fit(self) -> int:
        return max(0, (self.limit - self.in_use) // INOTIFY_INSTANCES_PER_NODE)


def inotify_instances_in_use(uid: int | None = None) -> int:
    """inotify instances held by processes of this user (the kernel limit is per user)."""
    uid = os.getuid() if uid is None else uid
    count = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid != uid:
                continue
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == "anon_inode:inotify":
                    count += 1
        except OSError:
            continue  # the process ended, or is not ours to read
    return count


def inotify_budget() -> InotifyBudget | None:
    try:
        limit = int(MAX_USER_INSTANCES.read_text())
    except (OSError, ValueError):
        return None
    return InotifyBudget(limit, inotify_instances_in_use())


def check_room_for_nodes(count: int) -> str | None:
    """None when `count` more nodes fit; otherwise one line saying why not and what to do."""
    budget = inotify_budget()
    if budget is None or budget.nodes_that_fit >= count:
        return None
    return (
        f"{count} more kind node(s) need about {count * INOTIFY_INSTANCES_PER_NODE} inotify instances, but "
        f"fs.inotify.max_user_instances={budget.limit} with {budget.in_use} in use leaves room for "
        f"{budget.nodes_that_fit}: delete other kind clusters or raise the limit "
        "(sysctl -w fs.inotify.max_user_instances=512)"
    )
