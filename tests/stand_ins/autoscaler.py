"""A test-only stand-in for a cluster autoscaler, for a kind cluster this suite brought up.

Every second it looks at the pods: when one is Pending because no node has room for it (the scheduler's
PodScheduled=False, reason Unschedulable, "Insufficient ..." or "Too many pods") and fewer than
--max-nodes of its own nodes exist, it joins a kind worker. A node it added that runs no pod but
DaemonSet and static pods, while no pod waits for room, for --unneeded-seconds in a row, it removes
(container and Node object). It never touches nodes it did not add. On SIGTERM or SIGINT (taken between
steps, never in the middle of a join) it removes its nodes and exits. What it does goes to standard
output, a line each.

    python tests/stand_ins/autoscaler.py --name wc-dev
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from kubernetes import client

from clusters.cluster import Cluster
from clusters.kube.connect import connect
from clusters.progress import Progress
from clusters.toolchain import resolve

NODE_BOUND_OWNERS = ("DaemonSet", "Node")
NO_ROOM = ("Insufficient ", "Too many pods")


_stopping: list[str] = []  # the signal that asked to stop; checked between steps, never mid-join


def _stop(signum: int, frame: FrameType | None) -> None:
    _stopping.append(signal.Signals(signum).name)


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} autoscaler: {line}", flush=True)


def waiting_for_room(pods: list[client.V1Pod]) -> list[str]:
    """Pending pods the scheduler found no room for, as namespace/name."""
    found = []
    for pod in pods:
        if pod.status.phase != "Pending" or pod.spec.node_name:
            continue
        for condition in pod.status.conditions or []:
            if (
                condition.type == "PodScheduled"
                and condition.reason == "Unschedulable"
                and any(mark in (condition.message or "") for mark in NO_ROOM)
            ):
                found.append(f"{pod.metadata.namespace}/{pod.metadata.name}")
    return found


def workload_pods_on(node: str, pods: list[client.V1Pod]) -> list[str]:
    """Pods on the node that a new node would not run by itself (not DaemonSet or static pods)."""
    return [
        f"{p.metadata.namespace}/{p.metadata.name}"
        for p in pods
        if p.spec.node_name == node
        and p.status.phase not in ("Succeeded", "Failed")
        and not any(ref.kind in NODE_BOUND_OWNERS for ref in p.metadata.owner_references or [])
    ]


def run(cluster: Cluster, max_nodes: int, unneeded_seconds: float) -> None:
    api = connect(cluster.kubeconfig)
    core = client.CoreV1Api(api)
    added: dict[str, float | None] = {}  # node -> since when it has been unneeded
    try:
        say(f"watching {cluster.name} for pods that wait for room (at most {max_nodes} node(s) of its own)")
        while not _stopping:
            pods = core.list_pod_for_all_namespaces().items
            waiting = waiting_for_room(pods)
            if waiting and len(added) < max_nodes:
                say(f"{len(waiting)} pod(s) wait for room ({', '.join(waiting)}): adding a node")
                name = cluster.add_worker().name
                added[name] = None
                say(f"added {name}")
                continue
            for node, since in list(added.items()):
                busy = workload_pods_on(node, pods)
                if busy or waiting:
                    added[node] = None
                    continue
                now = time.monotonic()
                if since is None:
                    added[node] = now
                elif now - since >= unneeded_seconds:
                    say(f"{node} runs only DaemonSet pods for {unneeded_seconds:.0f} s: removing it")
                    cluster.remove_worker(node)
                    del added[node]
                    say(f"removed {node}")
            time.sleep(1)
        say(f"{_stopping[0]}: removing my nodes {sorted(added) or 'none'}")
    finally:
        for node in list(added):
            cluster.remove_worker(node)
            say(f"removed {node}")
        api.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the kind cluster")
    parser.add_argument("--max-nodes", type=int, default=1)
    parser.add_argument("--unneeded-seconds", type=float, default=5)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(Cluster(args.name, resolve(None, Progress())), args.max_nodes, args.unneeded_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
