"""`wc-cluster`: build the toolchain and manage kind clusters from the command line."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from clusters.addons import CNI, STORAGE, AddonError, addon
from clusters.build.flannel import BACKENDS
from clusters.cleanup import cleanup
from clusters.cluster import Cluster, ClusterError
from clusters.docker_engine import DockerUnavailable, ensure_docker_engine
from clusters.kube.connect import ClusterUnavailable, connect
from clusters.progress import Progress, StepFailed
from clusters.sample_plugins import SampleCni, SampleStorage, write_sample_cni, write_sample_storage
from clusters.toolbox_image import (
    ToolboxTransferError,
    check_archive_path,
    local_image,
    push,
    push_target,
    save,
)
from clusters.toolchain import MODES, resolve, toolbox_reference
from clusters.topology import DEFAULT_TOPOLOGY, TopologyError

DEFAULT_NAME = "wc"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wc-cluster", description=__doc__)
    parser.add_argument("--toolchain", choices=MODES, default=None, help="default: $WC_TOOLCHAIN or auto")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build (or reuse) the toolchain and print it as JSON")
    create = sub.add_parser("create", help="create a cluster from a topology file")
    create.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY)
    for role in ("cni", "storage"):
        what = (
            "a CNI to install instead of kind's default" if role == "cni" else "a storage driver to install"
        )
        create.add_argument(f"--{role}-manifest", action="append", type=Path, help=f"{what}; repeatable")
        create.add_argument(f"--{role}-image", action="append", help="a local image it needs, loaded first")
        create.add_argument(f"--{role}-image-archive", action="append", type=Path, help="an image archive")
    for name in ("create", "delete", "export-logs", "add-node", "remove-node", "kubeconfig"):
        command = create if name == "create" else sub.add_parser(name)
        command.add_argument("--name", default=DEFAULT_NAME, help=f"cluster name (default {DEFAULT_NAME})")
    sub.choices["export-logs"].add_argument("destination", type=Path)
    sub.choices["remove-node"].add_argument("node")
    sub.choices["add-node"].add_argument(
        "--no-wait-ready",
        action="store_true",
        help="return once the Node object exists, not Ready (for a cluster where it cannot get Ready)",
    )
    cleanup_parser = sub.add_parser(
        "cleanup",
        help="undo node changes and delete test namespaces that interrupted runs left behind "
        "(all of them: do not run it while a test run is in progress)",
    )
    target = cleanup_parser.add_mutually_exclusive_group()
    target.add_argument("--name", default=None, help=f"kind cluster name (default {DEFAULT_NAME})")
    target.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig of any cluster instead")
    cleanup_parser.add_argument(
        "--context", default=None, help="context in that kubeconfig (default: current)"
    )
    cleanup_parser.add_argument(
        "--keep-namespaces", action="store_true", help="only undo node changes; leave test namespaces"
    )
    _add_sample_parsers(sub)
    toolbox = sub.add_parser(
        "toolbox",
        help="save or push the toolbox image the test pods run, for a cluster that cannot pull it",
    )
    action = toolbox.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--save", type=Path, metavar="FILE", help="docker save it to FILE, to carry to an air-gapped site"
    )
    action.add_argument(
        "--push",
        metavar="REGISTRY/NAME[:TAG]",
        help="tag and push it to a registry the cluster pulls from; prints the --wc-toolbox-image to pass",
    )
    return parser


def _add_sample_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cni = sub.add_parser(
        "sample-cni",
        help="build flannel as a sample CNI: write its manifest and image archive "
        "(backend alloc: a deliberately broken network, no routes between nodes)",
    )
    cni.add_argument("--backend", choices=BACKENDS, default="host-gw")
    storage = sub.add_parser(
        "sample-storage",
        help="write a second local-path-provisioner (StorageClass wc-local-path) and its image archive",
    )
    for command in (cni, storage):
        command.add_argument("--out", type=Path, required=True, help="folder to write into")


def run_sample(args: argparse.Namespace, progress: Progress) -> int:
    """Manifest and image archive, one per line, then the pytest options that use them."""
    if args.command == "sample-cni":
        sample: SampleCni | SampleStorage = write_sample_cni(args.out, args.backend, progress)
    else:
        sample = write_sample_storage(args.out, progress)
    print(sample.manifest)
    print(sample.image_archive)
    print("pytest options: " + " ".join(shlex.quote(option) for option in sample.pytest_options()))
    return 0


def run_cleanup(args: argparse.Namespace, progress: Progress) -> int:
    """Repair marked nodes and delete the suite's namespaces; one line each, then a total."""
    if args.kubeconfig is None:
        args.kubeconfig = Cluster(args.name or DEFAULT_NAME, resolve(args.toolchain, progress)).kubeconfig
    api = connect(args.kubeconfig, args.context)
    try:
        result = cleanup(api, namespaces=not args.keep_namespaces)
    finally:
        api.close()
    for line in result.lines:
        print(line)
    print(result.summary())
    return 0


def run_toolbox(args: argparse.Namespace, progress: Progress) -> int:
    """Save or push the toolchain's toolbox image (built or fetched by `wc-cluster build`)."""
    if args.push is not None:  # bad input is told before any Docker work
        push_target(args.push, "latest")
    else:
        check_archive_path(args.save)
    ensure_docker_engine(progress)
    image = local_image(toolbox_reference(args.toolchain))
    lines = save(image, args.save) if args.save is not None else push(image, args.push)
    print("\n".join(lines))
    return 0


def run_command(args: argparse.Namespace, progress: Progress) -> int:
    if args.command == "toolbox":
        return run_toolbox(args, progress)
    if args.command == "cleanup":
        return run_cleanup(args, progress)
    if args.command.startswith("sample-"):
        return run_sample(args, progress)
    toolchain = resolve(args.toolchain, progress)
    if args.command == "build":
        print(toolchain.to_json())
        return 0
    cluster = Cluster(args.name, toolchain)
    if args.command == "create":
        plugins = [
            addon(
                role,
                getattr(args, f"{key}_manifest"),
                getattr(args, f"{key}_image"),
                getattr(args, f"{key}_image_archive"),
            )
            for role, key in ((CNI, "cni"), (STORAGE, "storage"))
        ]
        cluster.create(args.topology, progress, [p for p in plugins if p is not None])
        print(cluster.kubeconfig)
    elif args.command == "delete":
        cluster.delete(progress)
    elif args.command == "export-logs":
        print(cluster.export_logs(args.destination))
    elif args.command == "add-node":  # the node's name first on the last line, for --wc-node-add-command
        joined = cluster.add_worker(progress, wait_ready=not args.no_wait_ready)
        state = "registered" if args.no_wait_ready else "Ready"
        print(
            f"{joined.name} {state}: container {joined.container_seconds:.1f} s, "
            f"join {joined.join_seconds:.1f} s, {state} {joined.ready_seconds:.1f} s later"
        )
    elif args.command == "remove-node":
        cluster.remove_worker(args.node, progress)
    elif args.command == "kubeconfig":
        print(cluster.kubeconfig)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    progress = Progress()
    try:
        return run_command(args, progress)
    except (
        DockerUnavailable,
        ClusterError,
        ClusterUnavailable,
        TopologyError,
        AddonError,
        ToolboxTransferError,
    ) as err:
        print(f"wc-cluster: {err}", file=sys.stderr)
    except StepFailed as err:
        print(f"wc-cluster: {err}", file=sys.stderr)
        cause = err.__cause__
        detail = getattr(cause, "output", "")
        if detail:
            print("\n".join(detail.strip().splitlines()[-30:]), file=sys.stderr)
    except KeyboardInterrupt:
        print("wc-cluster: interrupted", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
