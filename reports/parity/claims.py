"""What the guarantees claim about upstream specs: the ``upstream`` marker, read and checked.

    @pytest.mark.upstream("daemon_set.go: should rollback without unnecessary restarts", parity="stricter",
                          note="restarts judged by pod UID; the previous ControllerRevision is kept")

A guarantee names each upstream spec it covers wholly (one marker may name several; markers may be
stacked, e.g. with different parities), as ``"<file>.go: <the spec's own text>"``, the ``ref`` of
reports/parity/upstream_<version>.toml. ``parity`` says how: "covered" (it checks what the spec checks)
or "stricter" (that, and more, which ``note`` may say). A spec covered only in part is not claimed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from reports.parity.upstream import Upstream

MARKER = "upstream"
COVERED = "covered"
STRICTER = "stricter"
PARITIES = (COVERED, STRICTER)
MARKER_HELP = (
    f'{MARKER}(*specs, parity, note=""): the upstream e2e specs this guarantee covers wholly, each as '
    '"<file>.go: <spec text>" (reports/parity/upstream_<version>.toml); parity="covered" or "stricter"'
)


class BadMarker(ValueError):
    """An ``upstream`` marker that does not say what it must."""


@dataclass(frozen=True)
class Claim:
    """A guarantee (by node id) covers an upstream spec (by ref), as strictly as ``parity`` says."""

    nodeid: str
    ref: str
    parity: str
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Claim:
        return cls(data["nodeid"], data["ref"], data["parity"], data.get("note", ""))


def read_marker(nodeid: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Claim]:
    """The claims of one ``upstream`` marker; BadMarker says what is wrong with it."""
    where = f"{nodeid}: @pytest.mark.{MARKER}"
    unknown = set(kwargs) - {"parity", "note"}
    if unknown:
        raise BadMarker(f"{where}: unknown argument(s) {', '.join(sorted(unknown))} (parity=, note=)")
    parity, note = kwargs.get("parity"), kwargs.get("note", "")
    if parity not in PARITIES:
        raise BadMarker(f"{where}: parity={parity!r}; it must be one of {', '.join(map(repr, PARITIES))}")
    if not isinstance(note, str):
        raise BadMarker(f"{where}: note must be text")
    if not args:
        raise BadMarker(f'{where} names no spec ("<file>.go: <spec text>")')
    for ref in args:
        if not isinstance(ref, str) or ".go: " not in ref:
            raise BadMarker(f'{where}: {ref!r} is not "<file>.go: <spec text>"')
    return [Claim(nodeid, ref, parity, note) for ref in args]


def claims_of_item(item: Any) -> list[Claim]:
    """Every claim a collected pytest item makes (its own markers, its class's and module's)."""
    claims = []
    for mark in item.iter_markers(MARKER):
        claims += read_marker(item.nodeid, mark.args, mark.kwargs)
    return claims


def unknown_refs(claims: Iterable[Claim], upstream: Upstream) -> list[str]:
    """One line per claim of a spec that is not in the list, with the closest names there are."""
    known = upstream.by_ref()
    problems = []
    for claim in claims:
        if claim.ref not in known:
            close = difflib.get_close_matches(claim.ref, list(known), n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            problems.append(
                f"{claim.nodeid}: {claim.ref!r} is not an upstream spec of Kubernetes {upstream.kubernetes} "
                f"in the parity list{hint}"
            )
    return problems
