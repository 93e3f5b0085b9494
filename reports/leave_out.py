"""``--wc-leave-out SELECTOR=REASON``: the user's own choice to leave guarantees out, with why.

SELECTOR is one of two things, told apart by its shape:

- a **node id prefix** when it holds ``/`` or ``::``: a folder (``conformance/dns/``), a file
  (``conformance/statefulset/test_max_unavailable.py``) or one test (``...py::test_name``), as pytest
  prints node ids (from the rootdir). It matches at a boundary: ``conformance/dns`` takes
  ``conformance/dns/...``, never ``conformance/dnssec/...``;
- else a **keyword**, matched exactly (not as a substring, unlike ``-k``) against a test's name, its
  file name (with or without ``.py``), its folder names and its markers: ``storage``, ``disruptive``,
  ``test_max_unavailable``.

A left-out guarantee is deselected, reported as "left out by request: REASON", and not counted in the
verdict. An entry without a reason, or one that matches no collected test, is a usage error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

OPTION = "--wc-leave-out"
LEFT_OUT = "left out by request"
DESELECTED = "deselected with -m or -k"  # the reason recorded for the user's plain selection
SHAPE = (
    "give SELECTOR=REASON: a node id prefix such as conformance/dns/ or a keyword such as storage (a "
    "test, file or folder name, or a marker), then why it is left out"
)
# SELECTOR ends at the first '=' outside brackets: a parametrized id (test_x[n=2]) may hold '='.
_ENTRY = re.compile(r"((?:[^=\[]|\[[^\]]*\])+)=(.*)", re.S)


class LeaveOutError(ValueError):
    """A --wc-leave-out entry that cannot be used; the message is one line."""


def left_out_text(reason: str) -> str:
    """How a left-out guarantee is shown everywhere: ``left out by request: <reason>``."""
    return f"{LEFT_OUT}: {reason}"


@dataclass(frozen=True)
class LeaveOut:
    """One --wc-leave-out entry."""

    selector: str
    reason: str

    @property
    def by_node_id(self) -> bool:
        return "/" in self.selector or "::" in self.selector

    def matches(self, nodeid: str, keywords: Collection[str]) -> bool:
        if not self.by_node_id:
            return self.selector in keywords
        prefix = self.selector
        if prefix.endswith(("/", "::")) or nodeid == prefix:
            return nodeid.startswith(prefix)
        return nodeid.startswith(prefix) and nodeid[len(prefix)] in "/:["

    def __str__(self) -> str:
        return f"{self.selector}={self.reason}"


def parse(text: str) -> LeaveOut:
    """One entry, ``SELECTOR=REASON``; LeaveOutError when either part is missing."""
    match = _ENTRY.fullmatch(text.strip())
    selector, reason = (match.group(1).strip(), " ".join(match.group(2).split())) if match else ("", "")
    if not selector or not reason:
        raise LeaveOutError(f"{OPTION} {text!r}: {SHAPE}")
    return LeaveOut(selector.removeprefix("./"), reason)


def assign(
    entries: Iterable[LeaveOut], tests: Iterable[tuple[str, Collection[str]]]
) -> tuple[dict[str, LeaveOut], list[LeaveOut]]:
    """For tests given as (node id, keywords): which entry leaves each out (the first that matches), and
    the entries that match none of them."""
    entries = list(entries)
    chosen: dict[str, LeaveOut] = {}
    used: set[LeaveOut] = set()
    for nodeid, keywords in tests:
        for entry in entries:
            if entry.matches(nodeid, keywords):
                used.add(entry)
                chosen.setdefault(nodeid, entry)
    return chosen, [entry for entry in entries if entry not in used]


def unmatched_error(entry: LeaveOut) -> LeaveOutError:
    how = "no collected test's node id starts with it" if entry.by_node_id else "no collected test has it"
    return LeaveOutError(
        f"{OPTION} {str(entry)!r} leaves nothing out: {how} (a node id prefix holds '/' or '::'; a keyword "
        "is a test, file or folder name, or a marker, matched exactly)"
    )
