"""``wc-report``: read what a run left behind.

``wc-report verify ARCHIVE`` checks a certification bundle's manifest and prints its verdict again.
Exit status: 0 intact and CONFORMANT, 1 tampered or unreadable, 3 intact but not CONFORMANT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports import bundle

TAMPERED, NOT_CONFORMANT = 1, 3


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wc-report", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check a certification bundle and print its verdict")
    check.add_argument("archive", type=Path)
    args = parser.parse_args(argv)
    return verify(args.archive)


if __name__ == "__main__":
    sys.exit(main())
