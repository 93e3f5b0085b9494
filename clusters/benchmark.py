"""`python -m clusters.benchmark`: how long the toolchain and clusters take on this machine.

Prints cold build time (fresh Go build and module caches, a fresh project cache, every image rebuilt
under a prefix of its own so running clusters keep theirs), warm build time, cluster create time
(1 control plane + 3 workers, all Ready) and node add time (a new worker to Ready). The cold build
takes many minutes, so it runs only with --cold. --cni also measures the bring-your-own-CNI path:
writing the sample CNI (flannel), and a 1 control plane + 2 worker cluster created without kindnet,
flannel's images loaded from their archive, its manifest applied, all Ready; then a node add with the
images loaded into it. --vs-upstream runs upstream's e2e.test and this suite's guarantees on the same
specs side by side (clusters/vs_upstream.py; `--vs-upstream --help` for its options).
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

from clusters import vs_upstream
from clusters.commands import run
from clusters.topology import TOPOLOGY_DIR

BENCH_CLUSTER = "wc-bench"


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"benchmark step failed: {' '.join(argv)} exited {done.returncode}")
    return seconds, done.stdout


def _images_under(prefix: str) -> list[str]:
    listed = run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split()
    return [ref for ref in listed if ref.startswith(prefix + "/")]


def _cni_figures(cli: list[str], env: dict[str, str], out: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    figures["sample CNI written (s)"], listed = _timed([*cli, "sample-cni", "--out", str(out)], env)
    manifest, archive = listed.splitlines()[:2]
    create = [*cli, "create", "--name", BENCH_CLUSTER, "--topology", str(TOPOLOGY_DIR / "small.yaml")]
    try:
        figures["create 1+2 with flannel, all Ready (s)"], _ = _timed(
            [*create, "--cni-manifest", manifest, "--cni-image-archive", archive], env
        )
        figures["node add with flannel, to Ready (s)"], _ = _timed(
            [*cli, "add-node", "--name", BENCH_CLUSTER], env
        )
    finally:
        run([*cli, "delete", "--name", BENCH_CLUSTER], env=env, check=False)
    return figures


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--vs-upstream" in argv:
        return vs_upstream.main([arg for arg in argv if arg != "--vs-upstream"])
    parser = argparse.ArgumentParser(prog="python -m clusters.benchmark", description=__doc__)
    parser.add_argument("--cold", action="store_true", help="also measure a build from empty caches")
    parser.add_argument("--no-cluster", action="store_true", help="measure the builds only")
    parser.add_argument("--cni", action="store_true", help="also measure a cluster with the sample CNI")
    parser.add_argument("--vs-upstream", action="store_true", help="upstream e2e.test vs this suite instead")
    args = parser.parse_args(argv)
    python = sys.executable
    build = [python, "-m", "clusters.build"]
    cli = [python, "-m", "clusters.cli"]
    figures: dict[str, float] = {}
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="wc-bench-") as tmp:
        if args.cold:
            env |= {
                "WC_CACHE_DIR": str(Path(tmp) / "cache"),
                "GOCACHE": str(Path(tmp) / "go-build"),
                "GOMODCACHE": str(Path(tmp) / "go-mod"),
                "WC_IMAGE_PREFIX": f"localhost/wc-bench-{Path(tmp).name.lower().replace('_', '-')}",
            }
            print(
                f"cold build: empty caches in {tmp}, images under {env['WC_IMAGE_PREFIX']}", file=sys.stderr
            )
        try:
            if args.cold:
                figures["cold build (s)"], _ = _timed(build, env)
            figures["warm build (s)"], out = _timed(build, env)
            toolchain = json.loads(out)
            if not args.no_cluster:
                run([*cli, "delete", "--name", BENCH_CLUSTER], env=env, check=False)
                try:
                    figures["cluster create 1+3, all Ready (s)"], _ = _timed(
                        [*cli, "create", "--name", BENCH_CLUSTER], env
                    )
                    figures["node add, to Ready (s)"], _ = _timed(
                        [*cli, "add-node", "--name", BENCH_CLUSTER], env
                    )
                finally:
                    run([*cli, "delete", "--name", BENCH_CLUSTER], env=env, check=False)
            if args.cni and not args.no_cluster:
                figures |= _cni_figures(cli, env, Path(tmp) / "cni")
        finally:
            if args.cold:
                run(["docker", "rmi", "--force", *_images_under(env["WC_IMAGE_PREFIX"])], check=False)
                run(
                    ["go", "clean", "-modcache"], env=env, check=False
                )  # read-only files: only go removes them
    print(
        f"toolchain: {toolchain['mode']}, Kubernetes {toolchain['kubernetes_version']}, "
        f"kind {toolchain['kind_version']}, {os.cpu_count()} cores"
    )
    for name, seconds in figures.items():
        print(f"{name:40s} {seconds:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
