"""What an interrupted run leaves behind, and taking it away: node changes and test namespaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.cluster import ClusterError
from clusters.kube.labels import OWNED_NAMESPACE_LABEL
from clusters.kube.node_markers import MarkerError, Owner, repair


@dataclass(frozen=True)
class CleanupResult:
    node_changes: list[str]
    namespaces: list[str]

    @property
    def lines(self) -> list[str]:
        return [*self.node_changes, *self.namespaces]

    def summary(self) -> str:
        if not self.lines:
            return "cleanup: nothing left behind"
        return (
            f"cleanup: {len(self.node_changes)} node change(s) undone, "
            f"{len(self.namespaces)} namespace(s) deleted"
        )


def delete_owned_namespaces(core: client.CoreV1Api) -> list[str]:
    """Delete every namespace labelled as the suite's; one line each (without waiting for them to go)."""
    lines = []
    found = core.list_namespace(label_selector=f"{OWNED_NAMESPACE_LABEL}=true")
    for namespace in sorted(found.items, key=lambda ns: ns.metadata.name):
        name = namespace.metadata.name
        if namespace.metadata.deletion_timestamp is not None:
            lines.append(f"namespace {name}: already being deleted")
            continue
        try:
            core.delete_namespace(name)
        except ApiException as err:
            if err.status == 404:
                continue
            raise
        lines.append(f"namespace {name}: deleted")
    return lines


def cleanup(
    api: client.ApiClient, *, keep: Callable[[Owner], bool] | None = None, namespaces: bool = True
) -> CleanupResult:
    """Undo every recorded node change (except runs ``keep`` accepts), then delete the suite's
    namespaces (unless told not to). ClusterError when the API refuses or a marker cannot be read."""
    core = client.CoreV1Api(api)
    try:
        node_changes = repair(core, keep=keep)
        deleted = delete_owned_namespaces(core) if namespaces else []
    except MarkerError as err:
        raise ClusterError(f"cannot repair nodes: {err}") from err
    except ApiException as err:
        raise ClusterError(f"cleanup failed: API error {err.status} {err.reason}") from err
    except (OSError, urllib3.exceptions.HTTPError) as err:
        raise ClusterError(
            f"cleanup failed: API server {api.configuration.host} does not answer: {err}"
        ) from err
    return CleanupResult(node_changes, deleted)
