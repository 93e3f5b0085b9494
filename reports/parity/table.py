"""The parity table: each upstream spec in the list, the guarantees that claim it, and how strictly;
as text for ``wc-report parity`` (the HTML report renders the same rows)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from reports.parity.claims import COVERED, STRICTER, Claim
from reports.parity.upstream import Upstream, UpstreamFile, UpstreamSpec

MISSING = "MISSING"
WIDTH = 110
NOTE = " " * 15  # a claim's note, under its guarantee


@dataclass(frozen=True)
class Row:
    spec: UpstreamSpec
    claims: tuple[Claim, ...]

    @property
    def status(self) -> str:
        """stricter if any guarantee is stricter, covered if any covers it, else MISSING."""
        parities = {claim.parity for claim in self.claims}
        return STRICTER if STRICTER in parities else COVERED if parities else MISSING

    @property
    def shown_tags(self) -> list[str]:
        """The spec's tags a reader needs beside its text (not the SIG, not those in the text already)."""
        return [t for t in self.spec.tags if not t.startswith("sig-") and f"[{t}]" not in self.spec.text]


@dataclass(frozen=True)
class FileTable:
    file: UpstreamFile
    rows: tuple[Row, ...]

    def count(self, status: str, *, conformance: bool = False) -> int:
        return sum(1 for r in self.rows if r.status == status and (r.spec.conformance or not conformance))

    def summary(self) -> str:
        """``10 specs: 4 stricter, 0 covered, 6 MISSING; [Conformance]: 4 of 8 covered``"""
        n, conformance = len(self.rows), sum(1 for r in self.rows if r.spec.conformance)
        stricter, covered, missing = (self.count(status) for status in (STRICTER, COVERED, MISSING))
        text = f"{n} spec{'s' if n != 1 else ''}: {stricter} stricter, {covered} covered, {missing} {MISSING}"
        if conformance:
            held = conformance - self.count(MISSING, conformance=True)
            text += f"; [Conformance]: {held} of {conformance} covered"
        return text


def build(upstream: Upstream, claims: Iterable[Claim], files: Iterable[str] = ()) -> list[FileTable]:
    """One table per upstream file (only those named, by name or path, when any are)."""
    by_ref: dict[str, list[Claim]] = {}
    for claim in claims:
        by_ref.setdefault(claim.ref, []).append(claim)
    chosen = [upstream.file_named(name) for name in files] or list(upstream.files)
    return [
        FileTable(f, tuple(Row(spec, tuple(by_ref.get(spec.ref, ()))) for spec in upstream.of_file(f)))
        for f in chosen
    ]


def total(tables: list[FileTable]) -> FileTable:
    """All rows as one table (for the closing line)."""
    return FileTable(UpstreamFile("all", ""), tuple(row for table in tables for row in table.rows))


def render_text(upstream: Upstream, tables: list[FileTable], unknown: list[str]) -> str:
    lines = [f"Parity with upstream e2e: Kubernetes {upstream.kubernetes}", ""]
    for table in tables:
        lines.append(f"{table.file.path} ({table.file.scope}): {table.summary()}")
        for row in table.rows:
            tags = " ".join(f"[{t}]" for t in row.shown_tags)
            optional = "  (optional: an alpha feature gate)" if row.spec.alpha else ""
            lines.append(f"  {row.status:<9} {row.spec.text}{' ' + tags if tags else ''}{optional}")
            for claim in row.claims:
                lines.append(f"            <- {claim.nodeid} ({claim.parity})")
                lines += textwrap.wrap(claim.note, WIDTH, initial_indent=NOTE, subsequent_indent=NOTE)
        lines.append("")
    if len(tables) > 1:
        lines.append(f"all {len(tables)} files: {total(tables).summary()}")
    if unknown:
        lines += ["", "claims of specs not in the list:", *(f"  {line}" for line in unknown)]
    return "\n".join(lines).rstrip() + "\n"
