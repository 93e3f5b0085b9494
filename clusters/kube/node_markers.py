"""Node changes recorded on the node itself, so that any later process can undo them exactly.

A taint, a label or a cordon is written in one strategic-merge patch together with its record in the
node's ``workload-conformance.io/changes`` annotation, guarded by the node's resourceVersion: the change
and its record land together or not at all, and a concurrent writer (the kubelet, the node controller)
makes the patch fail with 409 instead of being overwritten; the patch is then planned again on a fresh
read. Undoing one change is the same kind of patch: restore the node's previous state for that change
and drop its record; the annotation goes when its last record does.

The annotation holds JSON keyed by run id (one recorder, e.g. one test)::

    {"3f9c2a61b0d4": {"owner": {"host": "ci-7", "pid": 4121, "start": "81234", "test": "tests/...::test_x",
                                "at": "2025-01-01T10:00:00+00:00"},
                      "changes": [{"seq": 1, "kind": "taint", "key": "example.com/k", "effect": "NoSchedule",
                                   "value": "v", "previous": null}]}}

``previous`` is what the node had before the change: a label's value (null: absent), the taint with the
same key and effect (null: none), or whether the node was already unschedulable (cordon).

This module needs no pytest and nothing from fixtures/: ``wc-cluster cleanup`` repairs nodes with it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

T = TypeVar("T")
Kind = Literal["taint", "label", "cordon"]
Node = dict[str, Any]  # a Node as the API returns it (JSON)
Patch = dict[str, Any]  # a strategic-merge patch body

log = logging.getLogger(__name__)

MARKER_ANNOTATION = "workload-conformance.io/changes"
#: Taint the node controller adds to a cordoned node and removes once it is uncordoned.
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
KINDS: tuple[Kind, ...] = ("taint", "label", "cordon")


class MarkerError(ValueError):
    """A marker annotation that cannot be read (edited by hand, or by a newer version)."""


class Retry(Protocol):
    """How an API call is retried: ``retry(call, what="patch node x")`` (fixtures pass retry_api)."""

    def __call__(self, call: Callable[[], T], *, what: str) -> T: ...


# --- the record ----------------------------------------------------------------------------------


def _process_start(pid: int) -> str | None:
    """The start time of a process (clock ticks since boot, from /proc), or None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None  # field 22 of stat; fields here start at field 3


@dataclass(frozen=True)
class Owner:
    """The process that made a run's changes: enough to tell whether it still runs."""

    host: str
    pid: int
    start: str | None = None  # the process start time, so a reused pid is not taken for the owner
    test: str = ""  # what the changes were made for (a test node id)
    at: str = ""  # when the run recorded its first change (ISO 8601)

    @classmethod
    def current(cls, test: str = "") -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _process_start(pid), test, datetime.now(UTC).isoformat())

    def alive(self) -> bool:
        """True when the owner is a process on this host that still runs; False when it is gone or
        runs elsewhere (where this process cannot tell)."""
        if self.host != socket.gethostname():
            return False
        start = _process_start(self.pid)
        if start is not None:
            return self.start is None or start == self.start
        if Path("/proc/self/stat").exists():
            return False  # /proc works, and has no such process
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def describe(self) -> str:
        where = f"pid {self.pid} on {self.host}"
        return f"{where}, {self.test}" if self.test else where


@dataclass(frozen=True)
class Change:
    """One change to one node and what the node had before it."""

    seq: int  # order of the change within its run
    kind: Kind
    key: str = ""  # the label or taint key ("" for a cordon)
    value: str | None = None  # the label value set (None: label removed) or the taint value
    effect: str = ""  # the taint effect
    previous: Any = None  # label value | taint (JSON) | was-unschedulable; None: absent

    def describe(self) -> str:
        """What the change did, e.g. "taint example.com/k=v:NoSchedule"."""
        if self.kind == "taint":
            return f"taint {_taint_text(self._taint())}"
        if self.kind == "label":
            return f"label {self.key}={self.value}" if self.value is not None else f"label {self.key} removed"
        return "cordon"

    def describe_undo(self) -> str:
        """What undoing it does, e.g. "restored label k=old" or "removed taint k=v:NoSchedule"."""
        if self.kind == "taint":
            if self.previous is None:
                return f"removed taint {_taint_text(self._taint())}"
            return f"restored taint {_taint_text(self.previous)} (was {_taint_text(self._taint())})"
        if self.kind == "label":
            if self.previous is None:
                return f"removed label {self.key}"
            return f"restored label {self.key}={self.previous}"
        return "uncordoned" if not self.previous else "left cordoned (it was cordoned before)"

    def _taint(self) -> dict[str, str]:
        taint = {"key": self.key, "effect": self.effect}
        if self.value:
            taint["value"] = self.value
        return taint


@dataclass
class RunRecord:
    """The changes one run made to one node, oldest first."""

    owner: Owner
    changes: list[Change] = field(default_factory=list)


def _taint_text(taint: dict[str, Any]) -> str:
    value = taint.get("value")
    return f"{taint.get('key')}{'=' + value if value else ''}:{taint.get('effect')}"


def encode_marker(runs: dict[str, RunRecord]) -> str | None:
    """The annotation value for these runs; None (remove the annotation) when no run has changes."""
    kept = {run: record for run, record in sorted(runs.items()) if record.changes}
    if not kept:
        return None
    body = {
        run: {"owner": asdict(record.owner), "changes": [asdict(c) for c in record.changes]}
        for run, record in kept.items()
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def decode_marker(text: str | None) -> dict[str, RunRecord]:
    """The runs recorded in an annotation value (empty for None); MarkerError when it is unreadable."""
    if not text:
        return {}
    try:
        body = json.loads(text)
        if not isinstance(body, dict):
            raise TypeError(f"expected an object keyed by run id, got {type(body).__name__}")
        runs = {}
        for run, record in body.items():
            changes = [Change(**change) for change in record["changes"]]
            for change in changes:
                if change.kind not in KINDS:
                    raise ValueError(f"unknown change kind {change.kind!r}")
            runs[str(run)] = RunRecord(Owner(**record["owner"]), sorted(changes, key=lambda c: c.seq))
        return runs
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise MarkerError(f"annotation {MARKER_ANNOTATION} cannot be read ({err}): {text[:200]}") from err


def node_marker(node: Node) -> dict[str, RunRecord]:
    """The runs recorded on a node."""
    annotations = node.get("metadata", {}).get("annotations") or {}
    return decode_marker(annotations.get(MARKER_ANNOTATION))


# --- planning: pure functions on a node read from the API ----------------------------------------


def _labels(node: Node) -> dict[str, str]:
    return node.get("metadata", {}).get("labels") or {}


def _taints(node: Node) -> list[dict[str, Any]]:
    return list(node.get("spec", {}).get("taints") or [])


def _unschedulable(node: Node) -> bool:
    return bool(node.get("spec", {}).get("unschedulable"))


def _same_taint(taint: dict[str, Any], key: str, effect: str) -> bool:
    return taint.get("key") == key and taint.get("effect") == effect


def find_taint(node: Node, key: str, effect: str) -> dict[str, Any] | None:
    """The node's taint with this key and effect (a taint's identity), or None."""
    return next((t for t in _taints(node) if _same_taint(t, key, effect)), None)


def _with_taint(taints: list[dict[str, Any]], key: str, effect: str, taint: dict[str, Any] | None) -> list:
    """taints with the one of this key and effect replaced by ``taint`` (in place), or removed (None)."""
    result, placed = [], False
    for existing in taints:
        if _same_taint(existing, key, effect):
            if taint is not None and not placed:
                result.append(taint)
                placed = True
            continue
        result.append(existing)
    if taint is not None and not placed:
        result.append(taint)
    return result


def record_change(
    node: Node, seq: int, kind: Kind, key: str = "", value: str | None = None, effect: str = ""
) -> Change:
    """The Change that would make this change to the node, with the node's current state as previous."""
    if kind == "taint":
        return Change(seq, kind, key, value or None, effect, find_taint(node, key, effect))
    if kind == "label":
        return Change(seq, kind, key, value, previous=_labels(node).get(key))
    if kind == "cordon":
        return Change(seq, kind, previous=_unschedulable(node))
    raise ValueError(f"unknown change kind {kind!r}")


def _target_patch(node: Node, change: Change, *, undo: bool) -> Patch | None:
    """The patch that brings the node to the state the change sets (or, undoing, had before); None when
    the node is in that state already."""
    if change.kind == "label":
        want = change.previous if undo else change.value
        labels = _labels(node)
        if labels.get(change.key) == want and (want is not None or change.key not in labels):
            return None
        return {"metadata": {"labels": {change.key: want}}}
    if change.kind == "taint":
        current = _taints(node)
        wanted = _with_taint(current, change.key, change.effect, change.previous if undo else change._taint())
        return None if wanted == current else {"spec": {"taints": wanted or None}}
    if change.kind == "cordon":
        if undo and change.previous:
            return None  # it was cordoned before the change: leave it so
        want = not undo
        if _unschedulable(node) == want:
            return None
        return {"spec": {"unschedulable": True if want else None}}
    raise ValueError(f"unknown change kind {change.kind!r}")


def apply_patch(node: Node, change: Change) -> Patch | None:
    """The patch that makes the change; None when the node shows it already."""
    return _target_patch(node, change, undo=False)


def undo_patch(node: Node, change: Change) -> Patch | None:
    """The patch that undoes the change; None when the node shows it undone already."""
    return _target_patch(node, change, undo=True)


def _merge(into: Patch, extra: Patch) -> Patch:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _guarded(node: Node, patch: Patch | None, runs: dict[str, RunRecord]) -> Patch:
    """patch plus the new marker, guarded by the node's resourceVersion."""
    metadata = node.get("metadata", {})
    marker = {
        "metadata": {
            "resourceVersion": metadata.get("resourceVersion"),
            "annotations": {MARKER_ANNOTATION: encode_marker(runs)},
        }
    }
    return _merge(json.loads(json.dumps(patch or {})), marker)


def plan_apply(node: Node, run_id: str, owner: Owner, change: Change) -> Patch:
    """The patch that makes the change and records it under run_id, in one write."""
    runs = node_marker(node)
    runs.setdefault(run_id, RunRecord(owner)).changes.append(change)
    return _guarded(node, apply_patch(node, change), runs)


def plan_undo(node: Node, run_id: str, seq: int) -> tuple[Patch, Change] | None:
    """The patch that undoes change ``seq`` of the run and drops its record, with that change; None
    when the node has no such record (undone already)."""
    runs = node_marker(node)
    record = runs.get(run_id)
    change = next((c for c in record.changes if c.seq == seq), None) if record else None
    if record is None or change is None:
        return None
    record.changes.remove(change)
    return _guarded(node, undo_patch(node, change), runs), change


def undo_order(changes: Iterable[tuple[str, Change]]) -> list[tuple[str, Change]]:
    """(node, change) pairs of one run in the order to undo them: the newest first."""
    return sorted(changes, key=lambda pair: pair[1].seq, reverse=True)


# --- the API side ----------------------------------------------------------------------------------


def _is_conflict(err: BaseException) -> bool:
    return isinstance(err, ApiException) and err.status == 409


def retry_on_conflict(call: Callable[[], T], *, what: str, attempts: int = 6) -> T:
    """Run a read-plan-patch ``call`` again when its patch meets a newer resourceVersion (409)."""
    retrying = Retrying(
        retry=retry_if_exception(_is_conflict),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.05, max=2),
        before_sleep=lambda state: log.info(
            "%s: conflict (attempt %d); re-reading", what, state.attempt_number
        ),
        reraise=True,
    )
    return retrying(call)


def read_node(core: client.CoreV1Api, name: str) -> Node:
    """The node as JSON (ApiException 404 when there is none)."""
    return json.loads(core.read_node(name, _preload_content=False).data)


def patch_node(core: client.CoreV1Api, name: str, patch: Patch) -> Node:
    """Apply a strategic-merge patch; the node as JSON afterwards."""
    response = core.patch_node(
        name, patch, _content_type="application/strategic-merge-patch+json", _preload_content=False
    )
    return json.loads(response.data)


def update_node(
    core: client.CoreV1Api, name: str, plan: Callable[[Node], Patch | None], *, what: str, retry: Retry
) -> tuple[Node, Patch | None]:
    """Read the node, plan a patch on what was read and apply it; planned again after a 409.

    Returns the node afterwards and the patch applied (None when ``plan`` found nothing to do)."""

    def attempt() -> tuple[Node, Patch | None]:
        node = read_node(core, name)
        patch = plan(node)
        if patch is None:
            return node, None
        return patch_node(core, name, patch), patch

    return retry(attempt, what=what)


def undo_change(core: client.CoreV1Api, node: str, run_id: str, seq: int, *, retry: Retry) -> Change | None:
    """Undo change ``seq`` of the run on the node; the change undone, or None when there was nothing
    to undo (undone already, or the node is gone)."""
    undone: list[Change] = []

    def plan(current: Node) -> Patch | None:
        undone.clear()
        planned = plan_undo(current, run_id, seq)
        if planned is None:
            return None
        undone.append(planned[1])
        return planned[0]

    try:
        update_node(core, node, plan, what=f"undo change {seq} of run {run_id} on node {node}", retry=retry)
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    return undone[0] if undone else None


def list_nodes(core: client.CoreV1Api) -> list[Node]:
    return json.loads(core.list_node(_preload_content=False).data).get("items", [])


def marked_nodes(core: client.CoreV1Api) -> dict[str, dict[str, RunRecord]]:
    """Every node carrying a marker, with the runs recorded on it (MarkerError if one is unreadable)."""
    marked = {}
    for node in list_nodes(core):
        name = node["metadata"]["name"]
        try:
            runs = node_marker(node)
        except MarkerError as err:
            raise MarkerError(f"node {name}: {err}") from err
        if runs:
            marked[name] = runs
    return marked


def repair(
    core: client.CoreV1Api,
    *,
    keep: Callable[[Owner], bool] | None = None,
    retry: Retry = retry_on_conflict,
) -> list[str]:
    """Undo, newest first, every change recorded on any node, except runs whose owner ``keep`` accepts
    (e.g. ``Owner.alive``: a run still in progress). One line per change undone."""
    lines = []
    for node, runs in sorted(marked_nodes(core).items()):
        for run_id, record in sorted(runs.items()):
            if keep is not None and keep(record.owner):
                continue
            for change in sorted(record.changes, key=lambda c: c.seq, reverse=True):
                undone = undo_change(core, node, run_id, change.seq, retry=retry)
                if undone is not None:
                    left_by = f"left by run {run_id}, {record.owner.describe()}"
                    lines.append(f"node {node}: {undone.describe_undo()} ({left_by})")
    return lines
