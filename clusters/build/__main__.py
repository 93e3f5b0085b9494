"""`python -m clusters.build`: build or reuse the hermetic toolchain and print what it is."""

from __future__ import annotations

import sys
import time

from clusters.build.hermetic import build
from clusters.progress import Progress, StepFailed


def main() -> int:
    progress = Progress()
    start = time.monotonic()
    try:
        toolchain = build(progress=progress)
    except StepFailed as err:
        print(f"build failed: {err}", file=sys.stderr)
        if err.__cause__ is not None and getattr(err.__cause__, "output", ""):
            print(err.__cause__.output[-4000:], file=sys.stderr)  # type: ignore[attr-defined]
        return 1
    print(toolchain.to_json())
    print(f"toolchain ready in {time.monotonic() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
