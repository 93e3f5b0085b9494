"""A kind cluster's lifecycle: create from a topology, delete, export logs, add and remove workers.

Creation, deletion, image loads and kubectl go through pytest-kind's KindCluster with the toolchain's
kind and kubectl binaries and node image (clusters.kind_commands). kind cannot add a node to a running
cluster, so a worker joins the way kind starts one: a node container with kind's run arguments and labels
on the cluster's network, then a real `kubeadm join`.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from clusters import addons
from clusters.addons import Addon
from clusters.commands import CommandError, output, run
from clusters.host_limits import check_room_for_nodes
from clusters.kind_commands import ToolchainKindCluster
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.toolchain_spec import Toolchain
from clusters.topology import (
    DEFAULT_TOPOLOGY,
    describe,
    for_host,
    load_topology,
    without_default_cni,
    write_config,
)

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
CREATED_MARKER = "created-by-workload-conformance"
NODE_READY_TIMEOUT = 300
#: The Deployment kubeadm (so kind) runs the cluster DNS as, in kube-system.
KIND_DNS_DEPLOYMENT = "coredns"
CREATE_TIMEOUT = 900
DELETE_TIMEOUT = 300
LOAD_TIMEOUT = 900


class ClusterError(RuntimeError):
    """A cluster operation failed; the message names the cluster and the operation."""


@dataclass(frozen=True)
class NodeJoin:
    """A worker that joined a running cluster, with how long each phase took."""

    name: str
    ip: str
    container_seconds: float
    join_seconds: float
    ready_seconds: float


def _worker_index(node: str, cluster: str) -> int | None:
    match = re.fullmatch(rf"{re.escape(cluster)}-worker(\d*)", node)
    if not match:
        return None
    return int(match.group(1) or 1)


def next_worker_name(cluster: str, existing: list[str]) -> str:
    """kind names workers <cluster>-worker, <cluster>-worker2, ...; take the next free index."""
    indexes = [i for i in (_worker_index(n, cluster) for n in existing) if i is not None]
    index = max(indexes, default=0) + 1
    return f"{cluster}-worker" if index == 1 else f"{cluster}-worker{index}"


def join_configuration(
    *, node: str, node_ip: str, cluster: str, endpoint: str, token: str, ca_hash: str
) -> str:
    """A kubeadm JoinConfiguration for a worker, registered the way kind registers its workers."""
    config = {
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "JoinConfiguration",
        "nodeRegistration": {
            "name": node,
            "criSocket": "unix:///run/containerd/containerd.sock",
            "kubeletExtraArgs": [
                {"name": "node-ip", "value": node_ip},
                {"name": "provider-id", "value": f"kind://docker/{cluster}/{node}"},
            ],
        },
        "discovery": {
            "bootstrapToken": {"apiServerEndpoint": endpoint, "token": token, "caCertHashes": [ca_hash]}
        },
        "skipPhases": ["preflight"],
    }
    return yaml.safe_dump(config, sort_keys=False)


def parse_join_command(line: str) -> tuple[str, str, str]:
    """(endpoint, token, ca hash) from `kubeadm token create --print-join-command`."""
    words = shlex.split(line)
    try:
        endpoint = words[words.index("join") + 1]
        token = words[words.index("--token") + 1]
        ca_hash = words[words.index("--discovery-token-ca-cert-hash") + 1]
    except (ValueError, IndexError) as err:
        raise ClusterError(f"unexpected join command from kubeadm: {line!r}") from err
    return endpoint, token, ca_hash


@retry(
    stop=stop_after_delay(120),
    wait=wait_fixed(0.5),
    retry=retry_if_exception_type(CommandError),
    reraise=True,
)
def _wait_node_container_booted(container: str) -> None:
    state = run(["docker", "exec", container, "systemctl", "is-system-running"], check=False).stdout.strip()
    if state not in ("running", "degraded"):
        raise CommandError(
            ["systemctl", "is-system-running"], 1, f"{container}: systemd is {state or 'starting'}"
        )
    run(["docker", "exec", container, "ctr", "version"])


#: Taints the node lifecycle controller puts on a node that is not Ready and lifts a little after it is:
#: a Ready node still carrying one is no place for a test's pods yet.
CONDITION_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


class _StillTainted(Exception):
    """A Ready node still carries a condition taint."""


def condition_tainted(nodes: dict) -> list[str]:
    """``node key:effect`` for each condition taint on the nodes of a ``kubectl get nodes -o json`` list."""
    return [
        f"{node['metadata']['name']} {taint['key']}:{taint.get('effect', '')}"
        for node in nodes.get("items", [])
        for taint in node.get("spec", {}).get("taints") or []
        if taint.get("key") in CONDITION_TAINTS
    ]


class Cluster:
    """One kind cluster, addressed by name."""

    def __init__(self, name: str, toolchain: Toolchain) -> None:
        self.name = name
        self.toolchain = toolchain
        self.state_dir = cache_dir("clusters", name)
        self.kubeconfig = self.state_dir / "kubeconfig"
        self._kind = ToolchainKindCluster(name, toolchain, self.kubeconfig)

    # -- queries (kind directly: pytest-kind has no call that lists clusters or nodes) ----------
    def exists(self) -> bool:
        return self.name in output([self.toolchain.kind, "get", "clusters"]).splitlines()

    @property
    def created_by_us(self) -> bool:
        return (self.state_dir / CREATED_MARKER).exists()

    def node_containers(self) -> list[str]:
        return output([self.toolchain.kind, "get", "nodes", "--name", self.name]).split()

    def kubectl(self, *args: str, timeout: float | None = 600) -> str:
        return self._kind.kubectl_output(*args, timeout=timeout)

    def wait_condition_taints_lifted(self, *nodes: str) -> None:
        """Wait until the named nodes (all, with none named) carry no condition taint: kubectl's wait for
        Ready returns before the node lifecycle controller lifts node.kubernetes.io/not-ready, which on
        a loaded host has taken long enough for a run's preflight to find a worker unschedulable."""
        targets = [f"node/{n}" for n in nodes] or ["nodes"]

        @retry(
            stop=stop_after_delay(NODE_READY_TIMEOUT),
            wait=wait_fixed(1),
            retry=retry_if_exception_type(_StillTainted),
            reraise=True,
        )
        def lifted() -> None:
            listed = json.loads(self.kubectl("get", *targets, "-o", "json"))
            if "items" not in listed:
                listed = {"items": [listed]}
            if tainted := condition_tainted(listed):
                raise _StillTainted(", ".join(tainted))

        try:
            lifted()
        except _StillTainted as err:
            raise ClusterError(
                f"nodes of {self.name!r} Ready but still tainted after {NODE_READY_TIMEOUT} s: {err}"
            ) from err

    @property
    def control_plane(self) -> str:
        return f"{self.name}-control-plane"

    # -- lifecycle -----------------------------------------------------------------------------
    def create(
        self,
        topology: Path = DEFAULT_TOPOLOGY,
        progress: Progress | None = None,
        plugins: Sequence[Addon] = (),
    ) -> None:
        """Create the cluster and wait until every node is Ready. With a CNI among the plugins, kind's
        default CNI is left out and that CNI is installed before waiting; other plugins (storage) are
        installed after. On failure the node logs are exported next to the kubeconfig before the
        half-made cluster is deleted."""
        progress = progress or Progress()
        config = load_topology(topology)
        for plugin in plugins:
            addons.check_sources(plugin)
        cni = next((p for p in plugins if p.role == addons.CNI), None)
        if cni is not None:
            config = without_default_cni(config)
        if self.exists():
            raise ClusterError(f"kind cluster {self.name!r} exists already: delete it or reuse it")
        no_room = check_room_for_nodes(len(config.get("nodes") or [None]))
        if no_room:
            raise ClusterError(f"cannot create kind cluster {self.name!r}: {no_room}")
        config_file = write_config(for_host(config), self.state_dir / "kind-config.yaml")
        self.kubeconfig.unlink(missing_ok=True)
        (self.state_dir / CREATED_MARKER).unlink(missing_ok=True)
        addons.clear_record(self.state_dir)
        try:
            with progress.step(
                f"Creating kind cluster {self.name!r} ({describe(config)}, {self.toolchain.node_image})"
            ):
                # bounded: a node whose kubeadm join hangs must not hang the run
                self._kind.create_within(CREATE_TIMEOUT, config_file)
                (self.state_dir / CREATED_MARKER).write_text(self.toolchain.node_image + "\n")
            self.load_toolbox(progress)
            if cni is not None:
                self.install(cni, progress, wait=False)  # its pods run before the nodes are Ready
            with progress.step(f"Waiting for every node of {self.name!r} to be Ready"):
                self.kubectl(
                    "wait", "--for=condition=Ready", "nodes", "--all", f"--timeout={NODE_READY_TIMEOUT}s"
                )
                self.wait_condition_taints_lifted()
            for plugin in plugins:
                if plugin is cni:
                    self.wait_for_workloads(plugin, progress)
                else:
                    self.install(plugin, progress)
            with progress.step(f"Waiting for the cluster DNS of {self.name!r} to be ready"):
                # a run's preflight reads the DNS endpoints once: CoreDNS still starting read as unready
                self.kubectl(
                    "-n",
                    "kube-system",
                    "rollout",
                    "status",
                    f"deployment/{KIND_DNS_DEPLOYMENT}",
                    f"--timeout={NODE_READY_TIMEOUT}s",
                )
            addons.save_record(self.state_dir, plugins)
        except BaseException:
            if self.exists():
                logs = self.state_dir / "logs-failed-create"
                run(
                    [self.toolchain.kind, "export", "logs", logs, "--name", self.name],
                    check=False,
                    timeout=300,
                )
                progress.say(f"   node logs of the failed create: {logs}")
                self.delete(progress)
            raise

    def load_toolbox(self, progress: Progress) -> None:
        """Put the toolchain's toolbox image on every node. kind loads it only where a node lacks it (a
        node image preloaded with an older toolbox, or kind's own node image) and skips the others, about
        a second when every node has it."""
        with progress.step(f"Loading {self.toolchain.toolbox_image} into the nodes that lack it"):
            self._kind.load_docker_image_within(LOAD_TIMEOUT, self.toolchain.toolbox_image)

    def load_images(self, plugin: Addon, nodes: Sequence[str] = ()) -> None:
        """Load the plugin's local images and image archives into the nodes (all, or those named)."""
        for image in plugin.images:
            if nodes:  # kind directly: pytest-kind loads an image into every node, not into chosen ones
                self._kind_load("docker-image", image, nodes)
            else:
                self._kind.load_docker_image_within(LOAD_TIMEOUT, image)
        for archive in plugin.archives:  # kind directly: pytest-kind cannot load an image archive
            self._kind_load("image-archive", str(archive), nodes)

    def _kind_load(self, command: str, source: str, nodes: Sequence[str]) -> None:
        target = ["--nodes", ",".join(nodes)] if nodes else []
        argv = [self.toolchain.kind, "load", command, source, "--name", self.name, *target]
        run(argv, timeout=LOAD_TIMEOUT)

    def install(self, plugin: Addon, progress: Progress, *, wait: bool = True) -> None:
        """Load a plugin's images into every node, apply its manifests, and (with wait) wait until its
        DaemonSets, Deployments and StatefulSets have rolled out."""
        if plugin.images or plugin.archives:
            sources = len(plugin.images) + len(plugin.archives)
            with progress.step(f"Loading the {plugin.role} images into the nodes ({sources} source(s))"):
                self.load_images(plugin)
        with progress.step(f"Installing {plugin.describe()}"):
            for manifest in addons.manifest_files(plugin.manifests):
                self.kubectl("apply", "-f", str(manifest))
        if wait:
            self.wait_for_workloads(plugin, progress)

    def wait_for_workloads(self, plugin: Addon, progress: Progress) -> None:
        found = addons.read_workloads(addons.manifest_files(plugin.manifests))
        if not found:
            return
        with progress.step(f"Waiting for the {plugin.role} workloads to roll out ({len(found)})"):
            for workload in found:
                self.kubectl(
                    "rollout",
                    "status",
                    "--namespace",
                    workload.namespace,
                    workload.ref,
                    f"--timeout={addons.ROLLOUT_TIMEOUT}s",
                    timeout=addons.ROLLOUT_TIMEOUT + 60,
                )

    def delete(self, progress: Progress | None = None) -> None:
        progress = progress or Progress()
        with progress.step(f"Deleting kind cluster {self.name!r}"):
            self._kind.delete_within(DELETE_TIMEOUT)
            (self.state_dir / CREATED_MARKER).unlink(missing_ok=True)
            addons.clear_record(self.state_dir)

    def export_logs(self, destination: Path) -> Path:
        # kind directly: pytest-kind has no call for it
        run([self.toolchain.kind, "export", "logs", destination, "--name", self.name], timeout=600)
        return destination

    # -- nodes ---------------------------------------------------------------------------------
    def _container_inspect(self, container: str, template: str) -> str:
        return output(["docker", "inspect", "--format", template, container])

    def add_worker(self, progress: Progress | None = None, *, wait_ready: bool = True) -> NodeJoin:
        """Start a new worker node container and join it with kubeadm; returns once it is Ready (or,
        with wait_ready=False, once its Node object exists: for clusters where it cannot get Ready)."""
        progress = progress or Progress()
        existing = self.node_containers()
        if self.control_plane not in existing:
            raise ClusterError(f"cluster {self.name!r} has no {self.control_plane}: cannot join a worker")
        no_room = check_room_for_nodes(1)
        if no_room:
            raise ClusterError(f"cannot add a worker to {self.name!r}: {no_room}")
        node = next_worker_name(self.name, existing)
        image = self._container_inspect(self.control_plane, "{{.Config.Image}}")
        network = self._container_inspect(
            self.control_plane, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}"
        ).split()[0]
        started = time.monotonic()
        with progress.step(f"Starting node container {node} ({image})"):
            run(
                [
                    "docker",
                    "run",
                    "--name",
                    node,
                    "--hostname",
                    node,
                    "--label",
                    f"{CLUSTER_LABEL}={self.name}",
                    "--label",
                    f"{ROLE_LABEL}=worker",
                    "--privileged",
                    "--security-opt",
                    "seccomp=unconfined",
                    "--security-opt",
                    "apparmor=unconfined",
                    "--tmpfs",
                    "/tmp",
                    "--tmpfs",
                    "/run",
                    "--volume",
                    "/var",
                    "--volume",
                    "/lib/modules:/lib/modules:ro",
                    "-e",
                    "KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER",
                    "--detach",
                    "--tty",
                    "--net",
                    network,
                    "--restart=on-failure:1",
                    "--init=false",
                    "--cgroupns=private",
                    image,
                ],
                timeout=300,
            )
            _wait_node_container_booted(node)
        with progress.step(f"Loading {self.toolchain.toolbox_image} into {node} if it lacks it"):
            self._kind_load("docker-image", self.toolchain.toolbox_image, [node])  # as load_toolbox does
        plugins = addons.load_record(self.state_dir)
        if any(p.images or p.archives for p in plugins):
            with progress.step(f"Loading the plugins' images into {node}"):
                for plugin in plugins:
                    self.load_images(plugin, [node])
        container_seconds = time.monotonic() - started
        node_ip = self._container_inspect(node, f"{{{{.NetworkSettings.Networks.{network}.IPAddress}}}}")
        join_line = output(
            [
                "docker",
                "exec",
                self.control_plane,
                "kubeadm",
                "token",
                "create",
                "--ttl",
                "30m",
                "--description",
                f"workload-conformance: join {node}",
                "--print-join-command",
            ]
        )
        endpoint, token, ca_hash = parse_join_command(join_line)
        config = join_configuration(
            node=node, node_ip=node_ip, cluster=self.name, endpoint=endpoint, token=token, ca_hash=ca_hash
        )
        join_started = time.monotonic()
        with progress.step(f"Joining {node} ({node_ip}) with kubeadm join"):
            run(["docker", "exec", "-i", node, "sh", "-c", "cat > /kind/kubeadm.conf"], input=config)
            run(["docker", "exec", node, "kubeadm", "join", "--config", "/kind/kubeadm.conf"], timeout=600)
        join_seconds = time.monotonic() - join_started
        ready_started = time.monotonic()
        with progress.step(f"Waiting for node {node} to register" + (" and be Ready" if wait_ready else "")):
            self.kubectl("wait", "--for=create", f"node/{node}", "--timeout=120s", timeout=180)
            if wait_ready:
                self.kubectl(
                    "wait", "--for=condition=Ready", f"node/{node}", f"--timeout={NODE_READY_TIMEOUT}s"
                )
                self.wait_condition_taints_lifted(node)
        return NodeJoin(node, node_ip, container_seconds, join_seconds, time.monotonic() - ready_started)

    def remove_worker(self, node: str, progress: Progress | None = None) -> None:
        """Remove a worker: its container (and its volumes) and its Node object."""
        progress = progress or Progress()
        labels = self._container_inspect(node, "{{json .Config.Labels}}")
        if f'"{CLUSTER_LABEL}":"{self.name}"' not in labels or f'"{ROLE_LABEL}":"worker"' not in labels:
            raise ClusterError(f"{node} is not a worker node of kind cluster {self.name!r}")
        with progress.step(f"Removing worker {node} (container and Node object)"):
            run(["docker", "rm", "--force", "--volumes", node], timeout=300)
            self.kubectl("delete", "node", node, "--ignore-not-found", "--wait=true", "--timeout=120s")
            self.kubectl("wait", "--for=delete", f"node/{node}", "--timeout=120s")
