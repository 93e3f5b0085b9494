"""A DaemonSet's status subresource reads, updates and patches its status: each write is stored, seen on a
watch at the resourceVersion it returned, touches nothing but the status, and outlives the controller's
own status writes."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for

pytestmark = pytest.mark.daemonset

UPDATED = "WorkloadConformanceUpdated"
PATCHED = "WorkloadConformancePatched"
IGNORED = "WorkloadConformanceSentToTheMainResource"
OURS = {
    UPDATED: ("True", "StatusUpdated", "set by an update of the status subresource"),
    PATCHED: ("True", "StatusPatched", "set by a patch of the status subresource"),
}


def conditions(obj: Any) -> dict[str, tuple[str, str, str]]:
    """A DaemonSet's status conditions by type, (status, reason, message); ``obj`` a client model or
    JSON from a watch."""
    if isinstance(obj, dict):
        found = (obj.get("status") or {}).get("conditions") or []
        return {c.get("type"): (c.get("status"), c.get("reason"), c.get("message")) for c in found}
    found = (obj.status.conditions if obj.status else None) or []
    return {c.type: (c.status, c.reason, c.message) for c in found}


def at_version(resource_version: str) -> Any:
    """A question about a watched DaemonSet (JSON): is this the object as the write of
    ``resource_version`` left it?"""
    return lambda obj: (obj.get("metadata") or {}).get("resourceVersion") == resource_version


def lacking(obj: Any, *types: str) -> list[str]:
    """Which of our conditions ``types`` the object lacks or holds otherwise than set."""
    found = conditions(obj)
    return [f"{t}: {found.get(t, 'absent')}" for t in types if found.get(t) != OURS[t]]


@pytest.mark.upstream(
    "daemon_set.go: should verify changes to a daemon set status",
    parity="stricter",
    note="each write seen at the resourceVersion it returned on a watch from before it (410 Gone: not "
    "verified); spec sent to /status and status sent to the main resource not stored; the conditions "
    "outlive the controller's own status write",
)
def test_status_subresource_reads_updates_and_patches_the_status(make_daemonset, step) -> None:
    """Reading the status subresource of a DaemonSet covering its nodes MUST return it (its UID) with the
    status its controller wrote: observedGeneration at the generation, desired and ready pods the eligible
    node count. An update of the status adding a condition MUST store it and MUST NOT store the spec change
    sent along (the generation stays); a patch of the status adding a second condition MUST keep the first.
    Each write MUST be seen, at the very resourceVersion it returned and with its conditions, on a watch of
    the DaemonSet from before the first. A status sent to the main resource MUST NOT be stored; the spec
    change sent with it MUST be, and the status the controller then writes for that generation, and every
    event before it, MUST keep both conditions.

    Fails on: an API server that does not serve the status subresource of daemonsets, stores spec through
    it or status through the main resource, or whose watch skips a write (the events seen are listed); a
    daemonset controller that overwrites conditions it did not set (the conditions lost are named). A
    watch whose start the server no longer holds (410 Gone) leaves the guarantee not verified."""
    with step("arrange: a DaemonSet covering its nodes; a watch of it from now"):
        agent = make_daemonset("agent")
        ds, expected, _ = wait_for(agent.covers_eligible_nodes())
        since = ds.metadata.resource_version

    with step("act: read the status subresource"):
        read = agent.read_status()

    with step("observe: the DaemonSet, with the status its controller wrote"):
        assert read.metadata.uid == ds.metadata.uid, f"another object: uid {read.metadata.uid}"
        status = read.status
        assert status.observed_generation == read.metadata.generation, (
            f"status.observedGeneration {status.observed_generation}, generation {read.metadata.generation}"
        )
        counts = (status.desired_number_scheduled, status.number_ready)
        assert counts == (len(expected), len(expected)), (
            f"desired/ready {counts} on {len(expected)} eligible nodes"
        )

    with step(f"act: update the status with condition {UPDATED}, and spec.minReadySeconds 30 sent along"):

        def add_condition(obj: client.V1DaemonSet) -> None:
            kept = [c for c in obj.status.conditions or [] if c.type != UPDATED]
            (state, reason, message) = OURS[UPDATED]
            added = client.V1DaemonSetCondition(type=UPDATED, status=state, reason=reason, message=message)
            obj.status.conditions = [*kept, added]
            obj.spec.min_ready_seconds = 30

        updated = agent.update_status(add_condition)

    with step("observe: the condition stored, the spec not, and the write seen on the watch"):
        assert not lacking(updated, UPDATED), f"the update stored {lacking(updated, UPDATED)}"
        assert updated.metadata.generation == ds.metadata.generation, (
            "a spec change sent to status was stored"
        )
        assert not updated.spec.min_ready_seconds, f"spec.minReadySeconds {updated.spec.min_ready_seconds}"
        seen = wait_for(
            agent.seen_on_watch(since, at_version(updated.metadata.resource_version), "the update")
        )
        assert not lacking(seen[-1]["object"], UPDATED), (
            f"the watch saw {lacking(seen[-1]['object'], UPDATED)}"
        )

    with step(f"act: patch the status with condition {PATCHED}"):
        (state, reason, message) = OURS[PATCHED]
        condition = {"type": PATCHED, "status": state, "reason": reason, "message": message}
        patched = agent.patch_status({"status": {"conditions": [condition]}})

    with step("observe: both conditions stored, and the write seen on the watch"):
        assert not lacking(patched, UPDATED, PATCHED), (
            f"after the patch: {lacking(patched, UPDATED, PATCHED)}"
        )
        seen = wait_for(
            agent.seen_on_watch(since, at_version(patched.metadata.resource_version), "the patch")
        )
        watched = seen[-1]["object"]
        assert not lacking(watched, UPDATED, PATCHED), f"the watch saw {lacking(watched, UPDATED, PATCHED)}"

    with step(f"act: patch the main resource: spec.revisionHistoryLimit 5, and condition {IGNORED}"):
        ignored = {"type": IGNORED, "status": "True", "reason": "SentToTheMainResource"}
        body = {"spec": {"revisionHistoryLimit": 5}, "status": {"conditions": [ignored]}}
        changed = agent.apps.patch_namespaced_daemon_set(agent.name, agent.namespace, body)
        generation = changed.metadata.generation

    with step(
        f"observe: the spec stored, not the status; the controller's status for generation {generation}"
    ):
        assert changed.spec.revision_history_limit == 5, f"revisionHistoryLimit {changed.spec}"
        assert generation > ds.metadata.generation, f"generation {generation} after a spec change"
        assert IGNORED not in conditions(changed), "a status sent to the main resource was stored"

        def controller_wrote(obj: dict[str, Any]) -> bool:
            return (obj.get("status") or {}).get("observedGeneration") == generation

        after_patch = patched.metadata.resource_version
        events = wait_for(
            agent.seen_on_watch(
                after_patch, controller_wrote, f"the status written for generation {generation}"
            )
        )
        for event in events:
            obj = event["object"]
            version = obj["metadata"]["resourceVersion"]
            assert not lacking(obj, UPDATED, PATCHED), (
                f"{event['type']} at resourceVersion {version}: {lacking(obj, UPDATED, PATCHED)}"
            )
        final = agent.read_status()
        assert not lacking(final, UPDATED, PATCHED), f"read at the end: {lacking(final, UPDATED, PATCHED)}"
