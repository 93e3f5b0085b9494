"""The results model every report renders: a Run holds TestResults, a TestResult holds Steps.

Times are seconds since the epoch (time.time()). The model knows how to turn itself into plain
dicts and back, so the pytest plugin can ship it across xdist workers and the matrix can read a
run's JSON summary; the writers (JUnit, Allure files, HTML, JSON) only render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
OUTCOMES = (PASSED, FAILED, SKIPPED)

UNKNOWN = "unknown"

# The cluster facts every report shows, in this order, with a human label; a fact nobody
# answered is UNKNOWN. Extra facts a provider adds are kept after these.
FACT_LABELS: dict[str, str] = {
    "kubernetes_version": "Kubernetes version",
    "nodes": "Nodes",
    "container_runtime": "Container runtime",
    "cni": "CNI",
    "default_storage_class": "Default StorageClass",
    "storage_provisioner": "Storage provisioner",
    "kind_version": "kind version",
    "node_image": "kind node image",
    "cgroup_version": "cgroup version",
}


def normalize_facts(answer: dict[str, Any] | None) -> dict[str, str]:
    """Every known fact (UNKNOWN where missing or empty), then any extra ones, all as strings."""
    answer = answer or {}
    facts = {key: str(answer.get(key) or UNKNOWN) for key in FACT_LABELS}
    facts.update({str(key): str(value) for key, value in answer.items() if key not in FACT_LABELS})
    return facts


def fact_label(key: str) -> str:
    return FACT_LABELS.get(key, key.replace("_", " "))


def iso(timestamp: float | None) -> str | None:
    """UTC ISO 8601 text of an epoch time (None stays None)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def from_iso(text: str | None) -> float | None:
    return None if text is None else datetime.fromisoformat(text).timestamp()


def _duration(start: float | None, end: float | None) -> float:
    return 0.0 if start is None or end is None else max(0.0, end - start)


@dataclass
class Attachment:
    """Something a test or fixture attached (allure.attach): text kept inline, binary only sized."""

    name: str
    content_type: str
    size: int
    text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "content_type": self.content_type, "size": self.size, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(data["name"], data["content_type"], data["size"], data.get("text"))


@dataclass
class Step:
    """One `allure.step(...)` block; outcome stays None while it has not ended."""

    title: str
    start: float
    end: float | None = None
    outcome: str | None = None
    error: str | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return _duration(self.start, self.end)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "start": iso(self.start),
            "end": iso(self.end),
            "duration_s": round(self.duration, 3),
            "outcome": self.outcome,
            "error": self.error,
            "steps": [child.as_dict() for child in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(
            title=data["title"],
            start=from_iso(data["start"]) or 0.0,
            end=from_iso(data.get("end")),
            outcome=data.get("outcome"),
            error=data.get("error"),
            steps=[cls.from_dict(child) for child in data.get("steps", [])],
        )


@dataclass
class TestResult:
    """The verdict on one guarantee (one test), merged from its setup, call and teardown."""

    __test__ = False  # not a pytest test class, despite the name

    nodeid: str
    guarantee: str
    epic: str
    feature: str
    story: str
    start: float
    end: float
    outcome: str
    phase: str | None = None  # where it failed or was skipped: collect, setup, call, teardown
    reason: str | None = None  # skip reason, or the failure's one-line message
    error: str | None = None  # the failure's full report text (pytest's longrepr)
    description: str = ""
    steps: list[Step] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return _duration(self.start, self.end)

    def as_dict(self) -> dict[str, Any]:
        diagnosis = None
        if self.outcome == FAILED:
            diagnosis = {
                "message": self.reason,
                "details": self.error,
                "attachments": [a.as_dict() for a in self.attachments],
            }
        return {
            "id": self.nodeid,
            "guarantee": self.guarantee,
            "description": self.description,
            "epic": self.epic,
            "feature": self.feature,
            "story": self.story,
            "verdict": self.outcome,
            "phase": self.phase,
            "reason": self.reason,
            "start": iso(self.start),
            "end": iso(self.end),
            "duration_s": round(self.duration, 3),
            "steps": [step.as_dict() for step in self.steps],
            "diagnosis": diagnosis,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        diagnosis = data.get("diagnosis") or {}
        return cls(
            nodeid=data["id"],
            guarantee=data["guarantee"],
            epic=data["epic"],
            feature=data["feature"],
            story=data["story"],
            start=from_iso(data["start"]) or 0.0,
            end=from_iso(data["end"]) or 0.0,
            outcome=data["verdict"],
            phase=data.get("phase"),
            reason=data.get("reason"),
            error=diagnosis.get("details"),
            description=data.get("description", ""),
            steps=[Step.from_dict(step) for step in data.get("steps", [])],
            attachments=[Attachment.from_dict(a) for a in diagnosis.get("attachments", [])],
        )


@dataclass
class Run:
    """One pytest run against one cluster."""

    run_id: str
    cluster: str
    start: float
    end: float | None = None
    facts: dict[str, str] = field(default_factory=lambda: normalize_facts(None))
    results: list[TestResult] = field(default_factory=list)
    exit_status: int | None = None
    error: str | None = None  # what stopped the run as a whole, if anything did

    @property
    def duration(self) -> float:
        return _duration(self.start, self.end)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.results:
            counts[result.outcome] += 1
        return counts

    def summary_line(self) -> str:
        """`N passed, N failed, N skipped`: the line CI parses."""
        counts = self.counts()
        return ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "run_id": self.run_id,
            "cluster": self.cluster,
            "start": iso(self.start),
            "end": iso(self.end),
            "duration_s": round(self.duration, 3),
            "exit_status": self.exit_status,
            "error": self.error,
            "summary": self.summary_line(),
            "counts": self.counts(),
            "facts": dict(self.facts),
            "guarantees": [result.as_dict() for result in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a workload-conformance run summary (schema {data.get('schema')!r})")
        return cls(
            run_id=data["run_id"],
            cluster=data["cluster"],
            start=from_iso(data["start"]) or 0.0,
            end=from_iso(data.get("end")),
            facts=normalize_facts(data.get("facts")),
            results=[TestResult.from_dict(result) for result in data.get("guarantees", [])],
            exit_status=data.get("exit_status"),
            error=data.get("error"),
        )


SCHEMA = "workload-conformance/run-summary/v1"
