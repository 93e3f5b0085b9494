"""A broken cluster DNS that one right answer does not reveal: one of the CoreDNS replicas cut off from the
API server. It stays Ready (its readiness only says it synced once) and keeps answering from what it last
saw, so a pod replaced or turned unready afterwards keeps its old answer there, while the other replica
answers the new one: a client asking through the DNS Service IP gets the right answer about every other
time.

The cut is two iptables rules in the replica's own network namespace (entered from its kind node): packets
to and from the ``kubernetes`` Service's address and port are dropped, so its watches stall and relists
fail. Nothing else changes: it still answers DNS and the kubelet's probes. Mended by deleting the pod
(its Deployment makes a fresh one) and waiting until every replica is Ready and serving again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from breakers.cluster_dns import DNS_DEPLOYMENT, DNS_NAMESPACE, DNS_SERVICE, CoreDns
from kubernetes import client

from clusters.commands import output
from clusters.kube.waits import wait_for
from fixtures.facts.cluster_dns import SERVICE_NAME_LABEL, DnsServer, dns_servers
from fixtures.resources.pods import Pod

log = logging.getLogger(__name__)
DOCKER_TIMEOUT = 30


def coredns_servers(api: client.ApiClient) -> list[DnsServer]:
    """The ready endpoints of kube-system/kube-dns."""
    slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(
        DNS_NAMESPACE, label_selector=f"{SERVICE_NAME_LABEL}={DNS_SERVICE}"
    )
    return dns_servers(slices.items)


def container_pid(node: str, namespace: str, pod: str) -> int:
    """The host PID of the pod's first running container, asked of the node's container runtime."""
    sandbox = output(
        [
            "docker",
            "exec",
            node,
            "crictl",
            "pods",
            "--namespace",
            namespace,
            "--name",
            pod,
            "--state",
            "ready",
            "-q",
        ],
        timeout=DOCKER_TIMEOUT,
    ).split()
    if len(sandbox) != 1:
        raise RuntimeError(
            f"{node}: expected one ready sandbox of {namespace}/{pod}, crictl listed {sandbox}"
        )
    containers = output(
        ["docker", "exec", node, "crictl", "ps", "--pod", sandbox[0], "--state", "running", "-q"],
        timeout=DOCKER_TIMEOUT,
    ).split()
    if not containers:
        raise RuntimeError(f"{node}: no running container in the sandbox of {namespace}/{pod}")
    pid = output(
        ["docker", "exec", node, "crictl", "inspect", "-o", "go-template", "--template", "{{.info.pid}}"]
        + containers[:1],
        timeout=DOCKER_TIMEOUT,
    )
    return int(pid.strip())


@dataclass
class Cut:
    """The replica chosen to be cut off (its container's host PID on its node), and what happened:
    ``reason`` the trigger gave, ``error`` a failure of the trigger or of the cut (then not made)."""

    server: DnsServer
    node: str
    pid: int
    reason: str = ""
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    def cut_off(self, address: str, port: int) -> None:
        """Drop the replica's TCP packets to and from ``address:port`` (the kubernetes Service), inside its
        network namespace: one docker exec, so the cut lands within a fraction of a second."""
        rules = [
            f"iptables -I OUTPUT -d {address} -p tcp --dport {port} -j DROP",
            f"iptables -I INPUT -s {address} -p tcp --sport {port} -j DROP",
        ]
        enter = ["docker", "exec", self.node, "nsenter", "-t", str(self.pid), "-n"]
        output([*enter, "sh", "-c", " && ".join(rules)], timeout=DOCKER_TIMEOUT)


@contextmanager
def coredns_replica_cut_off(
    api: client.ApiClient, when: Callable[[DnsServer], str | None], *, poll: float = 0.3
) -> Iterator[Cut]:
    """Choose one of the two or more CoreDNS replicas serving kube-dns and, in a thread, cut it off from the
    API server as soon as ``when(server)`` returns a reason (it is asked every ``poll`` seconds; an error it
    raises is retried). Yields the Cut. On leaving, also after an error, the cut replica's pod is deleted
    and every replica waited for, Ready and serving kube-dns."""
    coredns = CoreDns(api, DNS_NAMESPACE, DNS_DEPLOYMENT)
    replicas = coredns.replicas()
    servers = coredns_servers(api)
    if len(servers) < 2 or not servers[-1].pod:
        raise RuntimeError(f"needs two or more CoreDNS replicas serving {DNS_SERVICE}, found {servers}")
    server = servers[-1]
    core = client.CoreV1Api(api)
    node = core.read_namespaced_pod(server.pod, DNS_NAMESPACE).spec.node_name
    cut = Cut(server, node, container_pid(node, DNS_NAMESPACE, server.pod))
    kubernetes = core.read_namespaced_service("kubernetes", "default")
    address, port = kubernetes.spec.cluster_ip, kubernetes.spec.ports[0].port
    stop = threading.Event()

    def watch() -> None:
        last_error = ""
        while not stop.is_set():
            try:
                reason = when(server)
            except Exception as err:  # noqa: BLE001 - the trigger's state is not ready yet: ask again
                last_error = f"{type(err).__name__}: {err}"
                reason = None
            if reason:
                try:
                    cut.cut_off(address, port)
                    cut.reason = reason
                except Exception as err:  # noqa: BLE001 - reported by the caller, which checks the cut
                    cut.error = f"cutting {server} off failed: {type(err).__name__}: {err}"
                cut.done.set()
                return
            stop.wait(poll)
        cut.error = (
            cut.error or f"never cut off: the trigger did not fire (last error: {last_error or 'none'})"
        )

    thread = threading.Thread(target=watch, name=f"cut-off-{server.pod}", daemon=True)
    thread.start()
    try:
        yield cut
    finally:
        stop.set()
        thread.join(timeout=60)
        if cut.done.is_set():
            pod = Pod(api, DNS_NAMESPACE, server.pod)
            pod.delete()
            wait_for(pod.gone())
        wait_for(coredns.ready(replicas).described(f"{replicas} CoreDNS replicas Ready again"))
        wait_for(coredns.serving(replicas).described(f"{replicas} ready {DNS_SERVICE} endpoints again"))
        log.info("CoreDNS mended after cutting %s off (%s)", server, cut.reason or cut.error)
