"""A watch read from a resourceVersion: every event up to the one looked for, and a 410 Gone is not
verified rather than a pass or a failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from clusters.kube.verdicts import NotVerified
from fixtures.observation.object_watch import events_since, summary


class FakeResponse:
    """What a watch request returns: one JSON event per line."""

    status = 200

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.lines = [json.dumps(e).encode() + b"\n" for e in events]

    def stream(self, amt: Any = None, decode_content: bool = False) -> Iterator[bytes]:
        yield from self.lines

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


def modified(rv: str) -> dict[str, Any]:
    return {"type": "MODIFIED", "object": {"metadata": {"name": "web", "resourceVersion": rv}}}


def watch_of(events: list[dict[str, Any]], calls: list[dict[str, Any]]) -> Any:
    def list_call(namespace: str, **kwargs: Any) -> FakeResponse:
        calls.append({"namespace": namespace, **kwargs})
        return FakeResponse(events)

    return list_call


def test_reads_from_the_version_given_and_stops_at_the_event_looked_for() -> None:
    calls: list[dict[str, Any]] = []
    list_call = watch_of([modified("11"), modified("12"), modified("13")], calls)
    events = events_since(
        list_call, "10", "ns", until=lambda e: e["object"]["metadata"]["resourceVersion"] == "12"
    )
    assert [e["object"]["metadata"]["resourceVersion"] for e in events] == ["11", "12"]
    assert calls[0]["resource_version"] == "10" and calls[0]["watch"] is True
    assert summary(events) == "2 events: MODIFIED@11, MODIFIED@12"


def test_returns_every_event_when_none_is_the_one_looked_for() -> None:
    events = events_since(watch_of([modified("11")], []), "10", "ns", until=lambda e: False)
    assert len(events) == 1
    assert summary([]) == "no events"


def test_a_version_the_server_no_longer_holds_is_not_verified() -> None:
    gone = {
        "type": "ERROR",
        "object": {"code": 410, "reason": "Expired", "message": "too old resource version"},
    }
    with pytest.raises(NotVerified, match=r"resourceVersion 10 was refused as too old \(410 Gone\)"):
        events_since(watch_of([gone], []), "10", "ns")
