"""Add and remove commands for ``--wc-node-provider command`` on a kind cluster this suite brought up,
that break the cluster while the node is in: the add command first restarts kube-controller-manager
without the named controllers, then joins a worker (not waiting for Ready: without the DaemonSet
controller its CNI pod never comes); the remove command removes the worker and restores the controller
manager, also when the removal fails. One restart of the controller manager, undone once.

    python tests/stand_ins/kind_nodes.py add --name wc-dev --without daemonset-controller
    python tests/stand_ins/kind_nodes.py remove --name wc-dev --restore wc-dev-worker4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the breakers package

from breakers.control_plane import disable_controllers, restore_manifest  # noqa: E402

from clusters.cluster import Cluster  # noqa: E402
from clusters.commands import output, run  # noqa: E402
from clusters.progress import Progress  # noqa: E402
from clusters.toolchain import resolve  # noqa: E402

#: Where the add command keeps the original manifest for the remove command: in the control-plane node,
#: beside (never in) the static pods' folder.
SAVED_MANIFEST = "/kind/kcm.wc-original"


def add(cluster: Cluster, without: list[str]) -> str:
    """Disable the controllers (if any), keep the original manifest in the node, join a worker."""
    node = cluster.control_plane
    original = disable_controllers(cluster, without) if without else None
    try:
        if original is not None:
            run(["docker", "exec", "-i", node, "sh", "-c", f"cat > {SAVED_MANIFEST}"], input=original)
        return cluster.add_worker(wait_ready=not without).name
    except BaseException:
        if original is not None:
            restore_manifest(cluster, original)
        raise


def remove(cluster: Cluster, worker: str, restore: bool) -> None:
    """Remove the worker; then put back the manifest the add command kept."""
    try:
        cluster.remove_worker(worker)
    finally:
        if restore:
            node = cluster.control_plane
            restore_manifest(cluster, output(["docker", "exec", node, "cat", SAVED_MANIFEST]))
            run(["docker", "exec", node, "rm", "-f", SAVED_MANIFEST])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    adding = sub.add_parser("add")
    adding.add_argument("--without", action="append", default=[], help="a controller to turn off first")
    removing = sub.add_parser("remove")
    removing.add_argument("--restore", action="store_true", help="restore the controller manager after")
    removing.add_argument("node")
    for command in (adding, removing):
        command.add_argument("--name", required=True, help="the kind cluster")
    args = parser.parse_args(argv)
    cluster = Cluster(args.name, resolve(None, Progress()))
    if args.command == "add":
        print(add(cluster, args.without))
    else:
        remove(cluster, args.node, args.restore)
    return 0


if __name__ == "__main__":
    sys.exit(main())
