"""``wc-report``: read what a run left behind.

``wc-report verify ARCHIVE`` checks a certification bundle's manifest and prints its verdict again.
Exit status: 0 intact and CONFORMANT, 1 tampered or unreadable, 3 intact but not CONFORMANT.

``wc-report parity [--file daemon_set.go]`` prints, per upstream e2e file, each upstream spec and the
guarantees that cover it (covered, stricter) or MISSING, with counts; it collects conformance/ and needs no
cluster. Exit status 0, or 1 when the suite cannot be collected.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports import bundle
from reports import parity as upstream_parity
from reports.parity.collect import SUITE
from reports.parity.table import render_text

TAMPERED, NOT_CONFORMANT = 1, 3
UNCOLLECTED = 1  # wc-report parity: the suite or the upstream list could not be read


def verify(path: Path) -> int:
    try:
        check = bundle.verify(path)
    except bundle.BundleUnreadable as err:
        print(f"wc-report verify: {err}", file=sys.stderr)
        return TAMPERED
    if not check.intact:
        for problem in check.problems:
            print(f"TAMPERED: {problem}")
        return TAMPERED
    print(f"intact: {check.matched} files match {bundle.MANIFEST}")
    print(check.verdict_line or "no verdict in summary.json (a run of no guarantees)")
    conformant = bool(check.verdict_line and check.verdict_line.startswith("CONFORMANT"))
    return 0 if conformant else NOT_CONFORMANT


def parity(files: list[str], suite: Path) -> int:
    try:
        found = upstream_parity.current(suite, files)
    except KeyError as err:
        print(f"wc-report parity: {err.args[0]}", file=sys.stderr)
        return UNCOLLECTED
    if found.error:
        print(f"wc-report parity: {found.error}", file=sys.stderr)
        return UNCOLLECTED
    print(render_text(found.upstream, found.tables, found.unknown), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wc-report", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check a certification bundle and print its verdict")
    check.add_argument("archive", type=Path)
    table = commands.add_parser("parity", help="upstream spec -> guarantee -> covered / stricter / MISSING")
    table.add_argument(
        "--file", action="append", default=[], metavar="NAME", help="only this upstream file (repeatable)"
    )
    table.add_argument("--suite", type=Path, default=SUITE, metavar="DIR", help="the guarantees' folder")
    args = parser.parse_args(argv)
    if args.command == "parity":
        return parity(args.file, args.suite)
    return verify(args.archive)


if __name__ == "__main__":
    sys.exit(main())
