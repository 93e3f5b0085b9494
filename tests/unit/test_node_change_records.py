"""Node changes MUST be recorded so that they can be undone exactly: the previous label value or taint
comes back, only what was added goes, a node cordoned before stays cordoned.

The pure parts (the marker, undo planning) run on node JSON; NodeChanges and repair run against a fake
CoreV1Api that applies strategic-merge patches and honours resourceVersion. Last, SIGINT and SIGTERM
MUST wait while changes are being undone.

(Not test_node_changes.py: pytest would take it for tests/test_node_changes.py, having no packages.)
"""

from __future__ import annotations

import copy
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from clusters.cleanup import CleanupResult, delete_owned_namespaces
from clusters.kube.labels import OWNED_NAMESPACE_LABEL
from clusters.kube.node_markers import (
    MARKER_ANNOTATION,
    UNSCHEDULABLE_TAINT,
    Change,
    MarkerError,
    Owner,
    RunRecord,
    apply_patch,
    decode_marker,
    encode_marker,
    node_marker,
    plan_apply,
    plan_undo,
    record_change,
    undo_order,
    undo_patch,
)
from fixtures.plugin.nodes import SIGNALS_TO_ABANDON, _Interrupts
from fixtures.resources.node_changes import NodeChanges, NodeChangesNotUndone, repair

OWNER = Owner(host="ci-7", pid=4121, start="81234", test="tests/test_x.py::test_y", at="2025-01-01T10:00:00")
GPU = {"key": "example.com/gpu", "value": "a100", "effect": "NoSchedule"}
UNSCHEDULABLE = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}


def node(
    name: str = "w1",
    *,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, Any]] | None = None,
    unschedulable: bool = False,
    marker: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
        spec.setdefault("taints", []).append(dict(UNSCHEDULABLE))
    annotations = {MARKER_ANNOTATION: marker} if marker else {}
    metadata = {"name": name, "resourceVersion": "7", "labels": labels or {}, "annotations": annotations}
    return {"metadata": metadata, "spec": spec}


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Strategic merge as it applies to the fields changed here: maps merge, null deletes, lists replace."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            merge_patch(target.setdefault(key, {}), value)
        else:
            target[key] = copy.deepcopy(value)


class FakeCore:
    """The node calls of CoreV1Api, on nodes held in memory."""

    def __init__(self, *nodes: dict[str, Any]) -> None:
        self.nodes = {n["metadata"]["name"]: copy.deepcopy(n) for n in nodes}
        self.conflicts = 0  # this many next patches fail with 409, as if the kubelet wrote first
        self.patches = 0

    @staticmethod
    def _response(body: Any) -> SimpleNamespace:
        return SimpleNamespace(data=json.dumps(body).encode())

    def _node(self, name: str) -> dict[str, Any]:
        if name not in self.nodes:
            raise ApiException(status=404, reason="Not Found")
        return self.nodes[name]

    def read_node(self, name: str, **_: Any) -> SimpleNamespace:
        return self._response(self._node(name))

    def list_node(self, **_: Any) -> SimpleNamespace:
        return self._response({"items": list(self.nodes.values())})

    @staticmethod
    def _node_controller(spec: dict[str, Any]) -> None:
        """The unschedulable taint follows spec.unschedulable, as the node lifecycle controller keeps it."""
        taints = [t for t in spec.get("taints", []) if t["key"] != UNSCHEDULABLE_TAINT]
        if spec.get("unschedulable"):
            taints.append(dict(UNSCHEDULABLE))
        if taints:
            spec["taints"] = taints
        else:
            spec.pop("taints", None)

    def patch_node(self, name: str, body: dict[str, Any], **_: Any) -> SimpleNamespace:
        current = self._node(name)
        metadata = current["metadata"]
        if self.conflicts:
            self.conflicts -= 1
            metadata["resourceVersion"] = str(int(metadata["resourceVersion"]) + 1)
            raise ApiException(status=409, reason="Conflict")
        body = copy.deepcopy(body)
        wanted = body.get("metadata", {}).pop("resourceVersion", None)
        if wanted is not None and wanted != metadata["resourceVersion"]:
            raise ApiException(status=409, reason="Conflict")
        merge_patch(current, body)
        self._node_controller(current["spec"])
        metadata["resourceVersion"] = str(int(metadata["resourceVersion"]) + 1)
        self.patches += 1
        return self._response(current)


def strip(n: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]], bool, dict[str, str]]:
    """What a test compares: labels, taints, unschedulable, annotations."""
    metadata, spec = n["metadata"], n["spec"]
    return (
        metadata.get("labels") or {},
        spec.get("taints") or [],
        bool(spec.get("unschedulable")),
        metadata.get("annotations") or {},
    )


# --- the marker ------------------------------------------------------------------------------------


def test_marker_round_trips_runs_owners_and_changes() -> None:
    runs = {
        "run-b": RunRecord(OWNER, [Change(1, "cordon", previous=False)]),
        "run-a": RunRecord(
            OWNER,
            [
                Change(2, "label", "example.com/zone", "b", previous="a"),
                Change(1, "taint", "example.com/gpu", "h100", "NoSchedule", previous=GPU),
            ],
        ),
    }
    text = encode_marker(runs)
    assert text is not None
    decoded = decode_marker(text)
    assert set(decoded) == {"run-a", "run-b"}
    assert decoded["run-a"].owner == OWNER
    assert [c.seq for c in decoded["run-a"].changes] == [1, 2]  # oldest first, whatever the stored order
    assert decoded["run-a"].changes[0].previous == GPU
    assert json.loads(text)["run-b"]["changes"] == [
        {"seq": 1, "kind": "cordon", "key": "", "value": None, "effect": "", "previous": False}
    ]


def test_marker_without_changes_is_removed() -> None:
    assert encode_marker({}) is None
    assert encode_marker({"run-a": RunRecord(OWNER, [])}) is None
    assert decode_marker(None) == {}
    assert decode_marker("") == {}


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"r": {"changes": []}}',
        '{"r": {"owner": {"host": "h", "pid": 1}, "changes": [{"seq": 1, "kind": "reboot"}]}}',
    ],
)
def test_unreadable_marker_says_so(text: str) -> None:
    with pytest.raises(MarkerError, match=MARKER_ANNOTATION):
        decode_marker(text)


# --- planning ---------------------------------------------------------------------------------------


def test_a_change_records_what_the_node_had() -> None:
    before = node(labels={"zone": "a"}, taints=[GPU], unschedulable=True)
    assert record_change(before, 1, "label", "zone", "b").previous == "a"
    assert record_change(before, 1, "label", "rack", "r1").previous is None
    assert record_change(before, 1, "taint", GPU["key"], "h100", "NoSchedule").previous == GPU
    assert record_change(before, 1, "taint", GPU["key"], "h100", "NoExecute").previous is None
    assert record_change(before, 1, "cordon").previous is True


def test_undoing_a_label_restores_its_value_or_removes_it() -> None:
    changed = node(labels={"zone": "b", "rack": "r1"})
    assert undo_patch(changed, Change(1, "label", "zone", "b", previous="a")) == {
        "metadata": {"labels": {"zone": "a"}}
    }
    assert undo_patch(changed, Change(1, "label", "rack", "r1", previous=None)) == {
        "metadata": {"labels": {"rack": None}}
    }
    assert undo_patch(changed, Change(1, "label", "gone", "x", previous=None)) is None  # undone already
    assert undo_patch(node(labels={"zone": ""}), Change(1, "label", "zone", "x", previous="")) is None


def test_undoing_a_taint_removes_only_that_taint() -> None:
    ours = {"key": "example.com/drain", "value": "x", "effect": "NoExecute"}
    changed = node(taints=[GPU, ours, {"key": "other", "effect": "NoSchedule"}])
    change = Change(1, "taint", ours["key"], "x", "NoExecute", previous=None)
    assert undo_patch(changed, change) == {
        "spec": {"taints": [GPU, {"key": "other", "effect": "NoSchedule"}]}
    }


def test_undoing_the_last_taint_removes_the_field() -> None:
    change = Change(1, "taint", GPU["key"], "a100", "NoSchedule", previous=None)
    assert undo_patch(node(taints=[GPU]), change) == {"spec": {"taints": None}}


def test_undoing_a_taint_over_an_existing_one_restores_it_in_place() -> None:
    before = {**GPU, "timeAdded": "2025-01-01T00:00:00Z"}
    ours = {"key": GPU["key"], "value": "h100", "effect": "NoSchedule"}
    changed = node(taints=[{"key": "first", "effect": "NoSchedule"}, ours])
    change = Change(1, "taint", GPU["key"], "h100", "NoSchedule", previous=before)
    assert undo_patch(changed, change) == {
        "spec": {"taints": [{"key": "first", "effect": "NoSchedule"}, before]}
    }


def test_a_taint_replaces_the_one_with_its_key_and_effect() -> None:
    before = node(taints=[GPU, {"key": GPU["key"], "effect": "NoExecute"}])
    change = record_change(before, 1, "taint", GPU["key"], "h100", "NoSchedule")
    assert apply_patch(before, change) == {
        "spec": {"taints": [{**GPU, "value": "h100"}, {"key": GPU["key"], "effect": "NoExecute"}]}
    }


def test_undoing_a_cordon_uncordons_only_a_node_that_was_schedulable() -> None:
    cordoned = node(unschedulable=True)
    assert undo_patch(cordoned, Change(1, "cordon", previous=False)) == {"spec": {"unschedulable": None}}
    assert undo_patch(cordoned, Change(1, "cordon", previous=True)) is None
    assert apply_patch(node(), Change(1, "cordon", previous=False)) == {"spec": {"unschedulable": True}}


def test_change_and_record_go_in_one_guarded_patch_and_the_record_goes_with_the_undo() -> None:
    before = node(labels={"zone": "a"})
    change = record_change(before, 1, "label", "zone", "b")
    patch = plan_apply(before, "run-a", OWNER, change)
    assert patch["metadata"]["resourceVersion"] == "7"
    assert patch["metadata"]["labels"] == {"zone": "b"}
    assert node_marker(node(marker=patch["metadata"]["annotations"][MARKER_ANNOTATION]))["run-a"].changes == [
        change
    ]
    after = node(labels={"zone": "b"}, marker=patch["metadata"]["annotations"][MARKER_ANNOTATION])
    planned = plan_undo(after, "run-a", 1)
    assert planned is not None
    undo, undone = planned
    assert undone == change
    assert undo["metadata"] == {
        "resourceVersion": "7",
        "labels": {"zone": "a"},
        "annotations": {MARKER_ANNOTATION: None},
    }
    assert plan_undo(after, "run-b", 1) is None
    assert plan_undo(after, "run-a", 2) is None


def test_changes_are_undone_newest_first_across_nodes() -> None:
    pairs = [("w1", Change(1, "cordon")), ("w2", Change(3, "cordon")), ("w1", Change(2, "cordon"))]
    assert [(n, c.seq) for n, c in undo_order(pairs)] == [("w2", 3), ("w1", 2), ("w1", 1)]


# --- owners -------------------------------------------------------------------------------------------


def test_owner_is_alive_only_while_its_process_runs_on_this_host() -> None:
    me = Owner.current("t")
    assert me.alive()
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = Owner(socket.gethostname(), int(finished.stdout), start="1")
    assert not dead.alive()
    assert not Owner(me.host, me.pid, start="0").alive()  # same pid, another process (pid reused)
    assert not Owner("elsewhere", me.pid, me.start).alive()


# --- NodeChanges and repair on a fake API -------------------------------------------------------------


def test_undo_all_restores_every_node_exactly_and_drops_the_marker() -> None:
    w1 = node("w1", labels={"zone": "a", "keep": "1"}, taints=[GPU])
    w2 = node("w2", unschedulable=True)
    core = FakeCore(w1, node("w3"), w2)
    changes = NodeChanges(core, test="t")  # type: ignore[arg-type]
    changes.label("w1", "zone", "b")
    changes.label("w1", "zone", "c")  # twice: undone in reverse, back to "a"
    changes.label("w1", "keep", None)
    changes.taint("w1", GPU["key"], "h100")
    changes.taint("w1", "example.com/new", effect="NoExecute")
    changes.cordon("w3")
    changes.cordon("w2")  # cordoned already: stays so
    assert strip(core.nodes["w1"])[0] == {"zone": "c"}
    assert MARKER_ANNOTATION in core.nodes["w3"]["metadata"]["annotations"]

    lines = changes.undo_all()

    assert len(lines) == 7
    assert lines[0] == "node w2: left cordoned (it was cordoned before)"
    assert strip(core.nodes["w1"]) == ({"zone": "a", "keep": "1"}, [GPU], False, {})
    assert strip(core.nodes["w2"]) == ({}, [UNSCHEDULABLE], True, {})
    assert strip(core.nodes["w3"]) == ({}, [], False, {})
    assert changes.undo_all() == []  # idempotent


def test_undo_all_tolerates_a_node_that_vanished() -> None:
    core = FakeCore(node("w1"), node("w2"))
    changes = NodeChanges(core)  # type: ignore[arg-type]
    changes.label("w1", "example.com/a", "1")
    changes.label("w2", "example.com/a", "1")
    del core.nodes["w1"]
    assert changes.undo_all() == ["node w2: removed label example.com/a"]


def test_a_conflicting_write_is_planned_again_not_overwritten() -> None:
    core = FakeCore(node("w1", taints=[GPU]))
    changes = NodeChanges(core)  # type: ignore[arg-type]
    core.conflicts = 1
    core.nodes["w1"]["spec"]["taints"].append(
        {"key": "kubelet", "effect": "NoSchedule"}
    )  # a concurrent write
    changes.taint("w1", "example.com/ours")
    assert [t["key"] for t in strip(core.nodes["w1"])[1]] == [GPU["key"], "kubelet", "example.com/ours"]
    core.conflicts = 1
    changes.undo_all()
    assert [t["key"] for t in strip(core.nodes["w1"])[1]] == [GPU["key"], "kubelet"]


def test_undo_all_reports_what_it_could_not_undo_and_keeps_it_recorded() -> None:
    core = FakeCore(node("w1"))
    changes = NodeChanges(core)  # type: ignore[arg-type]
    changes.label("w1", "example.com/a", "1")

    def forbidden(name: str, body: dict[str, Any], **_: Any) -> None:
        raise ApiException(status=403, reason="Forbidden")

    core.patch_node = forbidden  # type: ignore[method-assign]
    with pytest.raises(
        NodeChangesNotUndone, match="(?s)1 change.* not undone.*label example.com/a=1: 403 Forbidden"
    ):
        changes.undo_all()
    assert MARKER_ANNOTATION in core.nodes["w1"]["metadata"]["annotations"]


def test_repair_undoes_dead_runs_and_keeps_live_ones() -> None:
    core = FakeCore(node("w1", labels={"zone": "a"}), node("w2"))
    dead = NodeChanges(core, run_id="dead")  # type: ignore[arg-type]
    dead.owner = Owner("elsewhere", 1)
    dead.label("w1", "zone", "b")
    dead.taint("w2", "example.com/t", "v")
    live = NodeChanges(core, run_id="live")  # type: ignore[arg-type]
    live.label("w2", "example.com/l", "1")

    lines = repair(core, keep=Owner.alive)  # type: ignore[arg-type]

    assert lines == [
        "node w1: restored label zone=a (left by run dead, pid 1 on elsewhere)",
        "node w2: removed taint example.com/t=v:NoSchedule (left by run dead, pid 1 on elsewhere)",
    ]
    assert strip(core.nodes["w1"]) == ({"zone": "a"}, [], False, {})
    assert set(node_marker(core.nodes["w2"])) == {"live"}
    assert repair(core) == [
        f"node w2: removed label example.com/l (left by run live, {live.owner.describe()})"
    ]
    assert strip(core.nodes["w2"]) == ({}, [], False, {})


# --- signals while changes are undone -----------------------------------------------------------------


@pytest.fixture
def interrupts() -> Iterator[_Interrupts]:
    handlers = _Interrupts()
    handlers.install()
    yield handlers
    handlers.uninstall()


def test_a_signal_interrupts_at_once_outside_undoing(interrupts: _Interrupts) -> None:
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        signal.raise_signal(signal.SIGTERM)


def test_a_signal_waits_until_undoing_is_done(interrupts: _Interrupts) -> None:
    steps = []
    with pytest.raises(KeyboardInterrupt, match="SIGINT"), interrupts.held():
        signal.raise_signal(signal.SIGINT)
        steps.append("undone after the signal")
    assert steps == ["undone after the signal"]


def test_a_run_already_stopping_is_not_interrupted_again(interrupts: _Interrupts) -> None:
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    with interrupts.held():
        signal.raise_signal(signal.SIGINT)  # held, and dropped: the run is stopping already


def test_repeated_signals_abandon_the_undoing(interrupts: _Interrupts) -> None:
    steps = []
    with pytest.raises(KeyboardInterrupt), interrupts.held():
        for n in range(SIGNALS_TO_ABANDON):
            steps.append(n)
            signal.raise_signal(signal.SIGINT)
    assert steps == list(range(SIGNALS_TO_ABANDON))


# --- wc-cluster cleanup: the suite's namespaces ---------------------------------------------------------


class FakeNamespaces:
    def __init__(self, *namespaces: tuple[str, bool]) -> None:
        self.items = [
            SimpleNamespace(
                metadata=SimpleNamespace(name=name, deletion_timestamp="now" if terminating else None)
            )
            for name, terminating in namespaces
        ]
        self.selectors: list[str] = []
        self.deleted: list[str] = []

    def list_namespace(self, label_selector: str = "") -> SimpleNamespace:
        self.selectors.append(label_selector)
        return SimpleNamespace(items=self.items)

    def delete_namespace(self, name: str) -> None:
        if name == "wc-gone":
            raise ApiException(status=404, reason="Not Found")
        self.deleted.append(name)


def test_cleanup_deletes_only_the_suites_namespaces_and_says_which() -> None:
    core = FakeNamespaces(("wc-b", False), ("wc-a", False), ("wc-going", True), ("wc-gone", False))
    lines = delete_owned_namespaces(core)  # type: ignore[arg-type]
    assert core.selectors == [f"{OWNED_NAMESPACE_LABEL}=true"]
    assert core.deleted == ["wc-a", "wc-b"]
    assert lines == [
        "namespace wc-a: deleted",
        "namespace wc-b: deleted",
        "namespace wc-going: already being deleted",
    ]
    result = CleanupResult(["node w1: uncordoned"], lines[:2])
    assert result.summary() == "cleanup: 1 node change(s) undone, 2 namespace(s) deleted"
    assert CleanupResult([], []).summary() == "cleanup: nothing left behind"
