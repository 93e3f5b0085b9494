"""`python -m clusters.benchmark`: how long the toolchain and clusters take on this machine.

Prints cold build time (fresh Go build/module caches, fresh project cache, the toolchain's images
removed), warm build time, cluster create time (1 control plane + 3 workers) and node add time (to
Ready). Without --cold the cold build is skipped: it takes minutes and rebuilds every image.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clusters.commands import run

BENCH_CLUSTER = "wc-bench"


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"benchmark step failed: {' '.join(argv)} exited {done.returncode}")
    return seconds, done.stdout


def _toolchain_images() -> list[str]:
    listed = run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split()
    return [ref for ref in listed if ref.startswith("localhost/workload-conformance/")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clusters.benchmark", description=__doc__)
    parser.add_argument("--cold", action="store_true", help="also measure a build from empty caches")
    args = parser.parse_args(argv)
    python = sys.executable
    figures: dict[str, float] = {}
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="wc-bench-") as tmp:
        if args.cold:
            env |= {
                "WC_CACHE_DIR": str(Path(tmp) / "cache"),
                "GOCACHE": str(Path(tmp) / "go-build"),
                "GOMODCACHE": str(Path(tmp) / "go-mod"),
            }
            images = _toolchain_images()
            if images:
                run(["docker", "rmi", "--force", *images], check=False)
            print(
                f"cold build: removed {len(images)} toolchain images, empty caches in {tmp}", file=sys.stderr
            )
            figures["cold build (s)"], _ = _timed([python, "-m", "clusters.build"], env)
        figures["warm build (s)"], out = _timed([python, "-m", "clusters.build"], env)
        toolchain = json.loads(out)
        cli = [python, "-m", "clusters.cli"]
        run([*cli, "delete", "--name", BENCH_CLUSTER], env=env, check=False)
        try:
            figures["cluster create 1+3, all Ready (s)"], _ = _timed(
                [*cli, "create", "--name", BENCH_CLUSTER], env
            )
            figures["node add, to Ready (s)"], _ = _timed([*cli, "add-node", "--name", BENCH_CLUSTER], env)
        finally:
            run([*cli, "delete", "--name", BENCH_CLUSTER], env=env, check=False)
        if args.cold:  # the module cache is read-only: only go can remove it
            run(["go", "clean", "-modcache"], env=env, check=False)
    print(
        f"toolchain: {toolchain['mode']}, Kubernetes {toolchain['kubernetes_version']}, "
        f"kind {toolchain['kind_version']}, {os.cpu_count()} cores"
    )
    for name, seconds in figures.items():
        print(f"{name:40s} {seconds:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
