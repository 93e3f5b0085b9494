"""The results model every report renders: a Run holds TestResults, a TestResult holds Steps.

Times are seconds since the epoch (time.time()). The model knows how to turn itself into plain
dicts and back, so the pytest plugin can ship it across xdist workers and the matrix can read a
run's JSON summary; the writers (JUnit, Allure files, HTML, JSON) only render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from reports.leave_out import DESELECTED, left_out_text

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
OUTCOMES = (PASSED, FAILED, SKIPPED)

UNKNOWN = "unknown"

# What a guarantee's result means for conformance. A test that raised an exception whose ``verdict``
# attribute is NOT_VERIFIED (clusters.kube.verdicts.NotVerified) was stopped by the cluster's state; a
# skipped guarantee was not verified either: only the user's selection (-m, -k) leaves one out.
HOLDS = "holds"
BROKEN = "broken"
NOT_VERIFIED = "not verified"
GUARANTEE_ROOT = "conformance"  # tests below this folder are guarantees and get a verdict

# The cluster facts every report shows, in this order, with a human label; a fact nobody
# answered is UNKNOWN. Extra facts a provider adds are kept after these.
FACT_LABELS: dict[str, str] = {
    "cluster": "Cluster (context)",
    "api_server": "API server",
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
    not_verified: bool = False  # it failed because the cluster's state stopped the check
    optional: str = ""  # why it is outside the verdict (an alpha feature gate): the optional marker's reason

    @property
    def duration(self) -> float:
        return _duration(self.start, self.end)

    @property
    def short_name(self) -> str:
        """``daemonset covers every eligible node`` from ``test_daemonset_covers_every_eligible_node``."""
        name = self.story.split("[", 1)[0].removeprefix("test_").replace("_", " ").strip()
        params = f" [{self.story.split('[', 1)[1]}" if "[" in self.story else ""
        return (name[:1].upper() + name[1:] + params) if name else self.nodeid

    @property
    def promise(self) -> str:
        """The whole MUST text of the docstring: everything before its "Fails on:" paragraph."""
        text = self.description.split("Fails on:", 1)[0]
        return " ".join(text.split()) or self.guarantee

    @property
    def fails_on(self) -> str:
        parts = self.description.split("Fails on:", 1)
        return " ".join(parts[1].split()) if len(parts) == 2 else ""

    @property
    def is_guarantee(self) -> bool:
        """A test in a conformance/ folder (the suite's own, or one a run was pointed at elsewhere)."""
        return GUARANTEE_ROOT in PurePosixPath(self.nodeid.split("::", 1)[0]).parts[:-1]

    @property
    def judgement(self) -> str:
        """holds, broken or not verified."""
        if self.outcome == PASSED:
            return HOLDS
        if self.outcome == SKIPPED or self.not_verified:
            return NOT_VERIFIED
        return BROKEN

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
            "judgement": self.judgement,
            "optional": self.optional or None,
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
            not_verified=data.get("judgement") == NOT_VERIFIED and data["verdict"] == FAILED,
            optional=data.get("optional") or "",
        )


@dataclass(frozen=True)
class Verdict:
    """The run's one conformance verdict over the guarantees it selected."""

    conformant: bool
    line: str
    held: int
    broken: list[str]
    not_verified: list[str]
    left_out: list[str]
    left_out_reasons: dict[str, str] = field(default_factory=dict)  # node id -> the user's reason
    optional: dict[str, str] = field(default_factory=dict)  # node id -> judgement, outside the verdict

    def left_out_text(self, nodeid: str) -> str:
        """``left out by request: <reason>`` (the reason given with --wc-leave-out, else -m/-k)."""
        return left_out_text(self.left_out_reasons.get(nodeid) or DESELECTED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "conformant": self.conformant,
            "line": self.line,
            "held": self.held,
            "broken": self.broken,
            "not_verified": self.not_verified,
            "left_out_by_request": self.left_out,
            "left_out_reasons": {nodeid: self.left_out_text(nodeid) for nodeid in self.left_out},
            "optional": self.optional,
        }


def _short(reason: str | None, limit: int = 160) -> str:
    text = " ".join((reason or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def judge(
    results: list[TestResult], left_out: list[str], left_out_reasons: dict[str, str] | None = None
) -> Verdict | None:
    """CONFORMANT only when every selected guarantee holds and at least one was checked; None for a run
    that selected no guarantee at all (the project's own tests, say). Left-out guarantees (with the
    user's reason, by node id, where --wc-leave-out gave one) are listed, never counted. Optional ones
    (the optional marker: an alpha feature gate) are judged and shown after the line, never counted."""
    if not any(r.is_guarantee for r in results) and not left_out:
        return None
    optional = {r.nodeid: r.judgement for r in results if r.optional}
    # in a run of guarantees, a failure anywhere is no pass either
    guarantees = [r for r in results if not r.optional]
    held = [r for r in guarantees if r.judgement == HOLDS]
    broken = [r for r in guarantees if r.judgement == BROKEN]
    unverified = [r for r in guarantees if r.judgement == NOT_VERIFIED]
    aside = f"; {len(left_out)} left out by request" if left_out else ""
    if optional:
        judged = [f"{list(optional.values()).count(j)} {j}" for j in (HOLDS, BROKEN, NOT_VERIFIED)]
        aside += f"; optional, not counted: {', '.join(n for n in judged if not n.startswith('0 '))}"
    if not guarantees:
        line = f"NOT CONFORMANT: no guarantee was checked{aside}"
    elif broken or unverified:
        parts = [f"{len(broken)} broken"] if broken else []
        if unverified:
            reasons = list(dict.fromkeys(_short(r.reason) for r in unverified))
            more = f"; and {len(reasons) - 1} other reason(s)" if len(reasons) > 1 else ""
            parts.append(f"{len(unverified)} not verified ({reasons[0]}{more})")
        line = f"NOT CONFORMANT: {', '.join(parts)}{aside}"
    else:
        line = f"CONFORMANT: {len(held)} of {len(guarantees)} selected guarantees hold{aside}"
    return Verdict(
        conformant=bool(guarantees) and not broken and not unverified,
        line=line,
        held=len(held),
        broken=[r.nodeid for r in broken],
        not_verified=[r.nodeid for r in unverified],
        left_out=list(left_out),
        left_out_reasons={k: v for k, v in (left_out_reasons or {}).items() if k in left_out},
        optional=optional,
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
    left_out: list[str] = field(default_factory=list)  # guarantees the user deselected (-m, -k, leave-out)
    left_out_reasons: dict[str, str] = field(default_factory=dict)  # node id -> reason from --wc-leave-out

    @property
    def verdict(self) -> Verdict | None:
        return judge(self.results, self.left_out, self.left_out_reasons)

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
        verdict = self.verdict
        return {
            "schema": SCHEMA,
            "verdict": verdict.as_dict() if verdict else None,
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
            left_out=list((data.get("verdict") or {}).get("left_out_by_request", [])),
            left_out_reasons=_given_reasons((data.get("verdict") or {}).get("left_out_reasons", {})),
        )


def _given_reasons(shown: dict[str, str]) -> dict[str, str]:
    """The user's reasons back from their ``left out by request: <reason>`` text (-m/-k gave none)."""
    prefix = left_out_text("")
    reasons = {nodeid: text.removeprefix(prefix) for nodeid, text in shown.items()}
    return {nodeid: reason for nodeid, reason in reasons.items() if reason != DESELECTED}


SCHEMA = "workload-conformance/run-summary/v1"
