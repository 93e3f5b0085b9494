"""The third outcome of a guarantee: not verified. The cluster's state stopped the check (no StorageClass
that binds, too few eligible nodes, a gap in a watched stream), so nothing was proven either way.

It fails the test like any error, and the reports tell it apart from a broken guarantee by its
``verdict`` attribute; a run with one is NOT CONFORMANT. It is never a skip: only the user's own
selection (-m, -k) leaves a guarantee out.
"""

from __future__ import annotations

NOT_VERIFIED = "not verified"


class NotVerified(Exception):
    """``NotVerified("storage: no claim of StorageClass standard bound in 120 s", remedy="...")``."""

    verdict = NOT_VERIFIED

    def __init__(self, reason: str, *, remedy: str = "") -> None:
        super().__init__(f"{reason}; {remedy}" if remedy else reason)
        self.reason = reason
        self.remedy = remedy
