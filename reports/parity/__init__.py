"""Parity with upstream Kubernetes e2e: which upstream specs (reports/parity/upstream_<version>.toml) the
guarantees cover, by their ``upstream`` markers, and how strictly.

``current()`` reads the committed spec list, collects the suite's claims (no cluster needed) and builds one
table per upstream file; ``wc-report parity`` prints it and every run's HTML report shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reports.parity.claims import unknown_refs
from reports.parity.collect import SUITE, CollectFailed, collect
from reports.parity.table import FileTable, build
from reports.parity.upstream import Upstream, load


@dataclass(frozen=True)
class Parity:
    upstream: Upstream
    tables: list[FileTable] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # claims of specs not in the list
    error: str | None = None  # why the suite's claims could not be read


def current(suite: Path = SUITE, files: Iterable[str] = ()) -> Parity:
    """The parity of the suite in ``suite`` with the committed upstream list (only ``files`` if named)."""
    upstream = load()
    tables = build(upstream, [], files)  # checks the file names before a collection is spent
    try:
        _, claims = collect(suite)
    except CollectFailed as err:
        return Parity(upstream, tables, error=str(err))
    return Parity(upstream, build(upstream, claims, files), unknown_refs(claims, upstream))
