"""The pod event recorder answers ordering questions from what it received, and loses nothing when its
watch ends or expires."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import HoldBroken, holds_for, wait_for
from fixtures.observation.event_recorder import (
    ADDED,
    DELETED,
    LISTED,
    MODIFIED,
    READY,
    TERMINATING,
    PodEventRecorder,
    PodRecord,
    WatchExpired,
    controlled_by,
    deleted,
    deletion_started,
    failed,
    first_ready,
    first_seen,
    order_of,
    record_from_object,
    relist_changes,
    timeline,
    uids_of,
)


def pod(
    name: str,
    uid: str,
    rv: str,
    *,
    phase: str = "Pending",
    ready: bool = False,
    deleting: bool = False,
    node: str | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "uid": uid, "resourceVersion": rv}
    if deleting:
        metadata["deletionTimestamp"] = "2026-11-21T12:00:00Z"
    status: dict[str, Any] = {"phase": phase}
    if ready:
        status["conditions"] = [{"type": "Ready", "status": "True"}]
    return {"metadata": metadata, "spec": {"nodeName": node}, "status": status}


def rec(kind: str, obj: dict[str, Any], at: float) -> PodRecord:
    return record_from_object(kind, obj, received=1000.0 + at, monotonic=at)


# a StatefulSet-like story: web-0 then web-1 come up; web-0 is deleted and comes back with a new UID
STORY = [
    rec(ADDED, pod("web-0", "u0", "10"), 0.0),
    rec(MODIFIED, pod("web-0", "u0", "11", phase="Running", node="w1"), 0.5),
    rec(MODIFIED, pod("web-0", "u0", "12", phase="Running", ready=True, node="w1"), 1.0),
    rec(ADDED, pod("web-1", "u1", "13"), 1.1),
    rec(MODIFIED, pod("web-1", "u1", "14", phase="Running", ready=True, node="w2"), 2.0),
    rec(MODIFIED, pod("web-0", "u0", "15", phase="Running", ready=True, deleting=True, node="w1"), 3.0),
    rec(DELETED, pod("web-0", "u0", "16", phase="Running", deleting=True, node="w1"), 4.0),
    rec(ADDED, pod("web-0", "u2", "17"), 4.5),
    rec(MODIFIED, pod("web-0", "u2", "18", phase="Running", ready=True, node="w3"), 5.0),
]


def test_a_record_keeps_name_uid_phase_readiness_deletion_and_node() -> None:
    record = STORY[5]
    assert (record.kind, record.name, record.uid, record.phase, record.ready, record.node) == (
        MODIFIED,
        "web-0",
        "u0",
        "Running",
        True,
        "w1",
    )
    assert record.deletion_timestamp == "2026-11-21T12:00:00Z"
    assert record.received == 1003.0 and record.monotonic == 3.0


def test_a_record_keeps_the_uid_of_its_controller_and_only_of_its_controller() -> None:
    owned = pod("agent-x", "u9", "9")
    owned["metadata"]["ownerReferences"] = [
        {"kind": "ConfigMap", "name": "c", "uid": "not-the-controller"},
        {"kind": "DaemonSet", "name": "agent", "uid": "ds-1", "controller": True},
    ]
    records = [
        record_from_object(ADDED, owned, received=1.0, monotonic=1.0),
        record_from_object(ADDED, pod("stray", "u8", "8"), received=1.0, monotonic=1.0),
    ]
    assert [r.controller for r in records] == ["ds-1", None]
    assert [r.name for r in controlled_by(records, "ds-1")] == ["agent-x"]


def test_first_seen_ready_and_deleted_of_a_pod() -> None:
    assert first_seen(STORY, "web-1").monotonic == 1.1
    assert first_ready(STORY, "web-0").monotonic == 1.0
    assert first_ready(STORY, "web-0", uid="u2").monotonic == 5.0
    assert deletion_started(STORY, "web-0").monotonic == 3.0
    assert deleted(STORY, "web-0").monotonic == 4.0
    assert deleted(STORY, "web-1") is None
    assert first_seen(STORY, "web-9") is None


def test_failed_is_the_first_record_of_a_pod_in_phase_failed() -> None:
    rejected = [
        rec(ADDED, pod("web-0", "u0", "10"), 0.0),
        rec(MODIFIED, pod("web-0", "u0", "11", phase="Failed"), 0.1),
        rec(DELETED, pod("web-0", "u0", "12", phase="Failed", deleting=True), 0.2),
        rec(ADDED, pod("web-0", "u1", "13"), 0.3),
    ]
    assert failed(rejected, "web-0").resource_version == "11"
    assert failed(rejected, "web-0", uid="u1") is None
    assert failed(STORY, "web-0") is None


def test_order_of_creation_readiness_and_deletion() -> None:
    assert order_of(STORY, ADDED) == ["web-0", "web-1", "web-0"]  # web-0 recreated: once per UID
    assert order_of(STORY, READY) == ["web-0", "web-1", "web-0"]
    assert order_of(STORY, DELETED) == ["web-0"]
    assert order_of(STORY, TERMINATING) == ["web-0"]
    assert uids_of(STORY, "web-0") == ["u0", "u2"]


def test_order_of_an_unknown_kind_says_which_kinds_exist() -> None:
    with pytest.raises(ValueError, match="unknown event kind 'CREATED'"):
        order_of(STORY, "CREATED")


def test_timeline_is_relative_to_the_first_record() -> None:
    lines = timeline(STORY).splitlines()
    assert len(lines) == len(STORY)
    assert lines[0].startswith("+  0.000s ADDED    web-0 uid=u0 Pending not Ready node=-")
    assert "deletionTimestamp=2026-11-21T12:00:00Z" in lines[5]
    assert timeline([]) == "(no pod events recorded)"


def test_relist_turns_differences_into_events() -> None:
    known = {
        "u0": rec(MODIFIED, pod("a", "u0", "5"), 1.0),  # unchanged
        "u1": rec(MODIFIED, pod("b", "u1", "6"), 1.0),  # changed
        "u2": rec(ADDED, pod("c", "u2", "7"), 1.0),  # gone
        "u3": rec(DELETED, pod("d", "u3", "8"), 1.0),  # gone, and already known to be
    }
    listed = [
        rec(LISTED, pod("a", "u0", "5"), 9.0),
        rec(LISTED, pod("b", "u1", "9", ready=True), 9.0),
        rec(LISTED, pod("e", "u4", "10"), 9.0),
    ]
    changes = relist_changes(known, listed, received=2000.0, monotonic=9.5)
    assert sorted((c.kind, c.name) for c in changes) == [(ADDED, "e"), (DELETED, "c"), (MODIFIED, "b")]
    assert all(c.relisted and c.monotonic == 9.5 and c.received == 2000.0 for c in changes)
    assert next(c for c in changes if c.name == "b").ready


class FakeSource:
    """Lists and watches from scripted answers; each watch call takes the next script."""

    def __init__(self, lists: list[tuple[str, list[dict[str, Any]]]], watches: list[Any]) -> None:
        self.lists = lists
        self.watches = watches
        self.watched_from: list[str] = []
        self.done = threading.Event()
        self.interrupted = threading.Event()

    def list(self) -> tuple[str, list[dict[str, Any]]]:
        return self.lists.pop(0)

    def watch(self, resource_version: str) -> Iterator[dict[str, Any]]:
        self.watched_from.append(resource_version)
        if not self.watches:
            self.done.set()
            self.interrupted.wait(10)
            return
        script = self.watches.pop(0)
        if isinstance(script, Exception):
            raise script
        yield from script

    def interrupt(self) -> None:
        self.interrupted.set()


def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "object": obj}


def test_recorder_lists_then_watches_from_the_list_and_resumes_where_it_stopped() -> None:
    source = FakeSource(
        lists=[("100", [pod("old", "u0", "90", phase="Running", ready=True)])],
        watches=[
            [
                event(ADDED, pod("a", "u1", "101")),
                event("BOOKMARK", {"metadata": {"resourceVersion": "105"}}),
            ],
            [event(MODIFIED, pod("a", "u1", "106", ready=True))],
        ],
    )
    recorder = PodEventRecorder(source, description="fake").start()
    assert source.done.wait(10)
    recorder.stop()
    assert source.watched_from == ["100", "105", "106"]
    assert [(r.kind, r.name) for r in recorder.records] == [(LISTED, "old"), (ADDED, "a"), (MODIFIED, "a")]
    assert recorder.first_ready("a").resource_version == "106"
    assert not recorder.running


def test_recorder_relists_when_the_watch_expires() -> None:
    source = FakeSource(
        lists=[
            ("100", [pod("a", "u1", "99"), pod("b", "u2", "98")]),
            ("200", [pod("a", "u1", "150", ready=True), pod("c", "u3", "160")]),
        ],
        watches=[WatchExpired("too old resource version: 100 (150)")],
    )
    recorder = PodEventRecorder(source, description="fake").start()
    assert source.done.wait(10)
    recorder.stop()
    assert source.watched_from == ["100", "200"]
    assert recorder.relists == 1
    changes = [(r.kind, r.name) for r in recorder.snapshot() if r.relisted]
    assert sorted(changes) == [(ADDED, "c"), (DELETED, "b"), (MODIFIED, "a")]
    assert order_of(recorder.snapshot(), DELETED) == ["b"]


def test_a_gap_in_the_stream_voids_every_judgement_made_from_it() -> None:
    source = FakeSource(
        lists=[("100", [pod("a", "u1", "99")]), ("200", [pod("a", "u1", "150", ready=True)])],
        watches=[WatchExpired("too old resource version: 100 (150)")],
    )
    recorder = PodEventRecorder(source, description="pods in ns").start()
    assert source.done.wait(10)
    recorder.stop()
    with pytest.raises(NotVerified, match="pod events of pods in ns: the watch expired 1 time"):
        recorder.order_of(DELETED)
    with pytest.raises(NotVerified):
        holds_for(recorder.never(lambda records: None, "nothing happens"), 0.1, "anything")
    assert "from a relist" in recorder.timeline()  # diagnostics still show what was seen


def test_recorder_keeps_recording_after_an_unexpected_watch_error() -> None:
    source = FakeSource(
        lists=[("100", [])],
        watches=[ConnectionResetError("connection reset by peer"), [event(ADDED, pod("a", "u1", "101"))]],
    )
    recorder = PodEventRecorder(source, description="fake").start()
    assert source.done.wait(10)
    recorder.stop()
    assert recorder.errors == ["ConnectionResetError: connection reset by peer"]
    assert recorder.order_of(ADDED) == ["a"]


def test_a_probe_of_the_events_returns_the_answer_once_they_give_one() -> None:
    source = FakeSource(lists=[("1", [pod("a", "u1", "1", ready=True)])], watches=[])
    recorder = PodEventRecorder(source, description="fake").start()
    try:
        found = wait_for(recorder.probe(lambda records: first_ready(records, "a"), "a Ready"), timeout=5)
        assert found.uid == "u1"
    finally:
        recorder.stop()


def test_a_quiet_window_over_the_events_fails_naming_the_event_that_broke_it() -> None:
    source = FakeSource(lists=[("1", [pod("a", "u1", "1", ready=True)])], watches=[])
    recorder = PodEventRecorder(source, description="fake").start()
    try:
        quiet = recorder.never(lambda records: first_ready(records, "a") and "a became Ready", "a not Ready")
        with pytest.raises(HoldBroken, match="a replaced within .* a not Ready must hold: a became Ready"):
            holds_for(quiet, 5, "a replaced")
        holds_for(recorder.never(lambda records: None, "nothing happens"), 0.3, "anything")
    finally:
        recorder.stop()
