"""Break a kind cluster's control plane on purpose, and mend it: the clusters the suite must fail on.

kube-controller-manager runs as a static pod; editing its manifest on the control-plane node makes the
kubelet restart it with other flags. A restart is over when a new process holds the leader lease.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from clusters.cluster import Cluster
from clusters.commands import output, run

KCM_MANIFEST = "/etc/kubernetes/manifests/kube-controller-manager.yaml"
LEASE_TIMEOUT = 180
# written beside the manifests' folder, not in it: the kubelet would run any file there as a static pod
REPLACE_MANIFEST = f"cat > /kind/kcm.wc-new && mv /kind/kcm.wc-new {KCM_MANIFEST}"


class ControlPlaneNotBack(RuntimeError):
    pass


def without_controllers(manifest: str, controllers: list[str]) -> str:
    """The manifest with `-name` added to --controllers for each controller to turn off."""
    match = re.search(r"(--controllers=)(\S+)", manifest)
    if not match:
        raise ValueError("kube-controller-manager manifest has no --controllers flag")
    wanted = match.group(2).split(",") + [f"-{name}" for name in controllers]
    return manifest[: match.start(2)] + ",".join(wanted) + manifest[match.end(2) :]


def lease_holder(cluster: Cluster) -> str:
    return cluster.kubectl(
        "-n",
        "kube-system",
        "get",
        "lease",
        "kube-controller-manager",
        "-o",
        "jsonpath={.spec.holderIdentity}",
    )


def wait_for_new_leader(cluster: Cluster, previous: str) -> str:
    """Wait until a kube-controller-manager other than `previous` holds the lease."""

    @retry(
        stop=stop_after_delay(LEASE_TIMEOUT),
        wait=wait_fixed(1),
        retry=retry_if_exception_type(ControlPlaneNotBack),
        reraise=True,
    )
    def probe() -> str:
        holder = lease_holder(cluster)
        if holder == previous or not holder:
            raise ControlPlaneNotBack(
                f"timed out after {LEASE_TIMEOUT}s waiting for a restarted kube-controller-manager on "
                f"{cluster.control_plane} to take the lease; last holder {holder or '<none>'}"
            )
        return holder

    return probe()


def _write_manifest(node: str, text: str) -> None:
    run(["docker", "exec", "-i", node, "sh", "-c", REPLACE_MANIFEST], input=text + "\n")


def confirm_disabled(node: str, controllers: list[str]) -> None:
    """The running kube-controller-manager says it disabled each controller: a name it does not know
    would be ignored silently, and the cluster would not be broken at all."""

    @retry(
        stop=stop_after_delay(LEASE_TIMEOUT),
        wait=wait_fixed(1),
        retry=retry_if_exception_type(ControlPlaneNotBack),
        reraise=True,
    )
    def probe() -> None:
        container = output(
            ["docker", "exec", node, "crictl", "ps", "--name", "kube-controller-manager", "-q"]
        )
        logs = run(["docker", "exec", node, "crictl", "logs", container.split()[0]], check=False).stdout
        missing = [
            c for c in controllers if f'"Warning: controller is disabled" controller="{c}"' not in logs
        ]
        if missing:
            raise ControlPlaneNotBack(
                f"kube-controller-manager on {node} does not report {missing} disabled: "
                "are these controller names (kube-controller-manager --help lists them)?"
            )

    probe()


def disable_controllers(cluster: Cluster, controllers: list[str]) -> str:
    """Restart kube-controller-manager without the named controllers (their full names, e.g.
    daemonset-controller) and return its original manifest, for restore_manifest. Restored at once if the
    restarted one does not take the lease or does not say it disabled them."""
    node = cluster.control_plane
    original = output(["docker", "exec", node, "cat", KCM_MANIFEST])
    holder = lease_holder(cluster)
    _write_manifest(node, without_controllers(original, controllers))
    try:
        wait_for_new_leader(cluster, holder)
        confirm_disabled(node, controllers)
    except BaseException:
        restore_manifest(cluster, original)
        raise
    return original


def restore_manifest(cluster: Cluster, original: str) -> None:
    """Put kube-controller-manager's original manifest back and wait until the restarted one leads."""
    holder = lease_holder(cluster)
    _write_manifest(cluster.control_plane, original)
    wait_for_new_leader(cluster, holder)


@contextmanager
def controllers_disabled(cluster: Cluster, controllers: list[str]) -> Iterator[None]:
    """kube-controller-manager restarted without the named controllers (their full names, e.g.
    daemonset-controller); restored on exit."""
    original = disable_controllers(cluster, controllers)
    try:
        yield
    finally:
        restore_manifest(cluster, original)
