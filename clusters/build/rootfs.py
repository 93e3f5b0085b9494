"""Debian root filesystems from Debian packages (debootstrap), kept as tarballs in the cache."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from clusters.commands import run

# Packages every image the suite builds on top of the slim base can rely on.
IMAGE_BASE_PACKAGES = (
    "bind9-dnsutils",
    "ca-certificates",
    "conntrack",
    "iproute2",
    "iptables",
    "iputils-ping",
    "netcat-openbsd",
    "procps",
)

# What a kind node needs besides the binaries built from Go modules (kind's base image list, minus
# what only rootless or network storage needs).
NODE_PACKAGES = (
    "bash",
    "ca-certificates",
    "conntrack",
    "curl",
    "dbus",
    "e2fsprogs",
    "ethtool",
    "iproute2",
    "iptables",
    "jq",
    "kmod",
    "libseccomp2",
    "mount",
    "nftables",
    "pigz",
    "procps",
    "socat",
    "systemd",
    "util-linux",
)


def debootstrap_tarball(release: str, mirror: str, packages: Sequence[str], out: Path) -> Path:
    """Bootstrap a minbase Debian with the packages, strip apt caches and write it as a tarball."""
    with tempfile.TemporaryDirectory(prefix="wc-rootfs-") as tmp:
        root = Path(tmp) / "root"
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(sorted(packages))}",
                release,
                root,
                mirror,
            ],
            timeout=1800,
        )
        run(["chroot", root, "apt-get", "clean"])
        for leftover in ("var/lib/apt/lists", "var/cache/apt", "var/log"):
            target = root / leftover
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
        partial = out.with_name(out.name + ".partial")
        run(["tar", "--numeric-owner", "-C", root, "-cf", partial, "."])
        partial.rename(out)
    return out
