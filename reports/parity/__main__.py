"""``python -m reports.parity refresh [--check]``: write (or compare) the upstream spec list from the
downloaded Kubernetes module of the pinned version."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports.parity import refresh
from reports.parity.upstream import committed, data_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.parity", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("refresh", help="regenerate reports/parity/upstream_<version>.toml")
    run.add_argument("--module", type=Path, help="the k8s.io/kubernetes module (default: Go's module cache)")
    run.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)

    version = refresh.pinned_version()
    module = args.module or refresh.module_dir(version)
    if module is None:
        print(
            f"k8s.io/kubernetes@{version} is not in Go's module cache: "
            f"go mod download k8s.io/kubernetes@{version} (or build the hermetic toolchain)",
            file=sys.stderr,
        )
        return 2
    try:
        text = refresh.generate(module, version)
    except refresh.RefreshError as err:
        print(f"refresh: {err}", file=sys.stderr)
        return 1
    target = data_file(version)
    if args.check:
        same = target.is_file() and target.read_text(encoding="utf-8") == text
        print(f"{target.name}: {'matches' if same else 'differs from'} {module}")
        return 0 if same else 1
    stale = [path for path in committed() if path != target]
    for path in stale:
        path.unlink()
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({text.count('[[spec]]')} specs)" + (f"; removed {stale}" if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
