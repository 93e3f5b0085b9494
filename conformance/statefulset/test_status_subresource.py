"""A StatefulSet's status subresource reads, replaces and patches its status: each write is stored, seen
on a watch, and touches nothing but the status."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from clusters.kube.retry import retry_api
from clusters.kube.waits import wait_for
from fixtures.resources.statefulsets import StatefulSet

pytestmark = pytest.mark.statefulset

REPLACED = "WorkloadConformanceReplaced"
PATCHED = "WorkloadConformancePatched"


def conditions(obj: Any) -> dict[str, tuple[str, str, str]]:
    """A StatefulSet's status conditions by type: (status, reason, message)."""
    found = (obj.status.conditions if obj.status else None) or []
    return {c.type: (c.status, c.reason or "", c.message or "") for c in found}


def seen_on_the_watch(
    web: StatefulSet, since: str, write: client.V1StatefulSet, kind: str, wanted: tuple[str, str, str]
) -> None:
    """Wait until a watch of web from ``since`` delivers the very write that returned ``write`` (its
    resourceVersion), carrying the condition ``kind`` as (status, reason, message) ``wanted``."""
    version = write.metadata.resource_version

    def question(obj: dict[str, Any]) -> bool:
        if (obj.get("metadata") or {}).get("resourceVersion") != version:
            return False
        found = {c.get("type"): c for c in (obj.get("status") or {}).get("conditions") or []}
        condition = found.get(kind) or {}
        return (condition.get("status"), condition.get("reason"), condition.get("message")) == wanted

    wait_for(web.seen_on_watch(since, question, f"{kind} at resourceVersion {version}"))


@pytest.mark.upstream(
    "statefulset.go: should validate Statefulset Status endpoints",
    parity="stricter",
    note="each write seen at the resourceVersion it returned on a watch from before the set (410 Gone: not "
    "verified) and on later reads; spec sent to /status and status sent to the main resource not stored; "
    "a patch keeps the replaced condition",
)
def test_status_subresource_reads_replaces_and_patches_the_status(
    wc_cluster, namespace, make_statefulset, step
) -> None:
    """Reading the status subresource of web (1 Ready pod) MUST return the set (its UID) with the status
    the controller wrote: replicas and readyReplicas 1 at the current generation. Replacing the status
    with a condition added MUST store that condition and MUST NOT store the spec sent along (replicas 5:
    spec and generation stay); patching the status with a second condition MUST keep the first one. Each
    write MUST be seen, at the very resourceVersion the write returned and carrying its condition, on a
    watch of web from a resourceVersion older than the set, and MUST be there on later reads. A status sent
    through the set itself (not the subresource) MUST NOT be stored.

    Fails on: an API server that does not serve the status subresource of statefulsets, stores spec
    through it or status through the main resource (the fields are named), or whose watch skips a write
    (the events seen are listed); a statefulset controller that wipes conditions it did not set. A watch
    whose start the server no longer holds (410 Gone) leaves the guarantee not verified."""
    with step("arrange: a resourceVersion from before web, then StatefulSet web of 1, Ready"):
        since = wc_cluster.apps.list_namespaced_stateful_set(namespace).metadata.resource_version
        web = make_statefulset("web", replicas=1)
        sts, _ = wait_for(web.ready(1))

    with step("act: read the status subresource"):
        read = web.read_status()

    with step("observe: the set, with the controller's status"):
        assert (read.metadata.name, read.metadata.uid) == ("web", sts.metadata.uid), read.metadata
        status = read.status
        assert (status.replicas, status.ready_replicas) == (1, 1), (
            f"status.replicas {status.replicas}, readyReplicas {status.ready_replicas}"
        )
        assert status.observed_generation == read.metadata.generation, (
            f"status.observedGeneration {status.observed_generation} != generation {read.metadata.generation}"
        )

    with step(f"act: replace the status with condition {REPLACED} added, and spec.replicas 5 sent along"):
        wanted = ("True", "Replaced", "set through the status subresource")
        condition = client.V1StatefulSetCondition(
            type=REPLACED, status=wanted[0], reason=wanted[1], message=wanted[2]
        )

        def replace() -> client.V1StatefulSet:  # read again on a 409: the controller may write in between
            current = web.read_status()
            current.status.conditions = [*(current.status.conditions or []), condition]
            current.spec.replicas = 5
            return web.replace_status(current)

        replaced = retry_api(replace, what=f"replace the status of {web.subject}")

    with step("observe: the condition stored, the spec not; the write seen on the watch and on later reads"):
        assert conditions(replaced).get(REPLACED) == wanted, f"conditions stored: {conditions(replaced)}"
        assert replaced.spec.replicas == 1, f"spec.replicas {replaced.spec.replicas} stored through /status"
        assert replaced.metadata.generation == sts.metadata.generation, (
            f"generation {replaced.metadata.generation}, {sts.metadata.generation} before the status write"
        )
        seen_on_the_watch(web, since, replaced, REPLACED, wanted)
        assert conditions(web.read()).get(REPLACED) == wanted, f"later read: {conditions(web.read())}"

    with step(f"act: patch the status with condition {PATCHED}"):
        patch_wanted = ("True", "Patched", "patched through the status subresource")
        patch = dict(zip(("type", "status", "reason", "message"), (PATCHED, *patch_wanted), strict=True))
        patched = web.patch_status({"status": {"conditions": [patch]}})

    with step("observe: both conditions stored; the patch seen on the watch and on later reads"):
        stored = conditions(patched)
        assert stored.get(PATCHED) == patch_wanted and stored.get(REPLACED) == wanted, f"conditions: {stored}"
        seen_on_the_watch(web, since, patched, PATCHED, patch_wanted)
        later = conditions(web.read_status())
        assert later.get(PATCHED) == patch_wanted and later.get(REPLACED) == wanted, f"later read: {later}"

    with step("act: send a condition through the set itself, not its status subresource"):
        ignored = {"type": "WorkloadConformanceIgnored", "status": "True"}
        through_main = web.apps.patch_namespaced_stateful_set(
            web.name, web.namespace, {"status": {"conditions": [ignored]}}
        )

    with step("observe: not stored"):
        assert "WorkloadConformanceIgnored" not in conditions(through_main), conditions(through_main)
        assert "WorkloadConformanceIgnored" not in conditions(web.read()), conditions(web.read())
