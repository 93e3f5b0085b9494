"""`python -m clusters.benchmark --vs-upstream`: upstream's e2e.test and this suite's guarantees on the
same [Conformance] specs and the same cluster, side by side, written into BENCHMARKS.md. Not part of CI.

The specs are the [Conformance] specs of daemon_set.go, statefulset.go and controller_revision.go that a
guarantee covers (the ``upstream`` markers, as ``wc-report parity`` shows them). e2e.test runs them
serially, as certification runners do, focused by file and line; then the covering guarantees run, once
serially (-n 0) and once as the suite runs by default. Each side's wall time is measured around its whole
process (e2e.test's suite setup and pytest's collection included).

The cluster is a kind cluster by name: reused when it exists (and then kept), otherwise created with the
default topology and deleted at the end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clusters.build import upstream_e2e
from clusters.cluster import Cluster
from clusters.commands import run
from clusters.ginkgo_report import focus_file_args, spec_results
from clusters.paths import cache_dir
from clusters.progress import Progress
from clusters.toolchain import resolve
from clusters.versions import load
from clusters.vs_upstream_table import Judged, Row, SuiteRun, append_section, ratio, render
from reports import json_summary
from reports.parity.claims import Claim
from reports.parity.collect import collect
from reports.parity.upstream import Upstream, UpstreamSpec
from reports.parity.upstream import load as load_upstream

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
FILES = ("daemon_set.go", "statefulset.go", "controller_revision.go")
CLUSTER = "wc-bench"
E2E_TIMEOUT = 3 * 3600
SUITE_MODES = {"serial": ["-n", "0"], "default": []}
MODE_NAMES = {"serial": "serial (-n 0)", "default": "as run by default"}


@dataclass(frozen=True)
class Pairing:
    spec: UpstreamSpec
    guarantees: tuple[str, ...]


def pairings(upstream: Upstream, claims: Sequence[Claim], files: Sequence[str] = FILES) -> list[Pairing]:
    """Each [Conformance] spec of the files, in the list's order, with the guarantees claiming it."""
    found = []
    for name in files:
        for spec in upstream.of_file(upstream.file_named(name)):
            if spec.conformance:
                nodeids = dict.fromkeys(c.nodeid for c in claims if c.ref == spec.ref)
                found.append(Pairing(spec, tuple(nodeids)))
    return found


def _timed(argv: Sequence[str], log: Path, env: dict[str, str], timeout: float) -> tuple[float, int]:
    start = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(
            [str(a) for a in argv], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, timeout=timeout
        )
    return time.monotonic() - start, done.returncode


def run_upstream(
    built: upstream_e2e.UpstreamE2E, cluster: Cluster, specs: Sequence[UpstreamSpec], out: Path
) -> tuple[float, int, Path]:
    """e2e.test on the specs, serially; its wall time, exit code and JSON report."""
    report = out / "e2e-report.json"
    argv = [
        built.e2e_test,
        f"--kubeconfig={cluster.kubeconfig}",
        "--provider=skeleton",
        f"--kubectl-path={cluster.toolchain.kubectl}",
        f"--report-dir={out / 'e2e'}",
        "--ginkgo.no-color",
        "--ginkgo.v",
        f"--ginkgo.json-report={report}",
        f"--ginkgo.timeout={E2E_TIMEOUT}s",
        *focus_file_args([(spec.file, spec.line) for spec in specs]),
    ]
    env = {**os.environ, "KUBE_TEST_REPO_LIST": str(built.repo_list)}
    seconds, code = _timed(argv, out / "e2e.log", env, E2E_TIMEOUT + 600)
    return seconds, code, report


def run_suite(nodeids: Sequence[str], cluster: str, mode: str, out: Path) -> SuiteRun:
    """The guarantees on the cluster (kept), in the mode; what each did, from the run's summary.json."""
    reports = out / f"suite-{mode}"
    argv = [
        sys.executable, "-m", "pytest", *nodeids, *SUITE_MODES[mode],
        "--wc-cluster-name", cluster, "--wc-keep-cluster", "-p", "no:cacheprovider",
        "--wc-report-dir", str(reports),
    ]  # fmt: skip
    seconds, _ = _timed(argv, out / f"suite-{mode}.log", dict(os.environ), E2E_TIMEOUT)
    results = json_summary.read(reports).results
    judged = {r.nodeid: Judged(r.nodeid, r.judgement, r.duration) for r in results}
    return SuiteRun(MODE_NAMES[mode], seconds, judged)


def _conditions(cluster: Cluster, created: bool, version: str, load_before: float) -> list[str]:
    nodes = cluster.kubectl("get", "nodes", "-o", "name").split()
    return [
        f"`python -m clusters.benchmark --vs-upstream` on kind cluster `{cluster.name}` "
        f"({len(nodes)} nodes, {'created for the run' if created else 'an existing cluster'}), "
        f"Kubernetes {version} (hermetic toolchain), {os.cpu_count()} cores",
        f"load average {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after",
        f"e2e.test built from k8s.io/kubernetes@{version} (`go test -c`), run serially with "
        "`--provider=skeleton`, focused by file and line on the specs below; agnhost built from the same "
        "module on the Debian base image, remapped with KUBE_TEST_REPO_LIST and loaded into the nodes",
        "wall times around each whole process (e2e.test's suite setup, pytest's collection and fixtures)",
    ]


def _ensure_cluster(name: str, progress: Progress) -> tuple[Cluster, bool]:
    cluster = Cluster(name, resolve(progress=progress))
    if cluster.exists():
        return cluster, False
    cluster.create(progress=progress)
    return cluster, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clusters.benchmark --vs-upstream", description=__doc__)
    parser.add_argument("--cluster", default=CLUSTER, help=f"kind cluster to run on (default {CLUSTER})")
    parser.add_argument("--build-only", action="store_true", help="build e2e.test and images, run nothing")
    parser.add_argument("--modes", default="serial,default", help="this suite's runs: serial,default")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave BENCHMARKS.md")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(SUITE_MODES)
    if unknown or not modes:
        parser.error(f"--modes: use serial and/or default, not {sorted(unknown) or 'nothing'}")
    progress = Progress()
    versions = load()
    built = upstream_e2e.build(versions, progress)
    print(
        json.dumps(
            {"e2e.test": str(built.e2e_test), "images": built.images, "repo_list": str(built.repo_list)}
        )
    )
    if args.build_only:
        return 0

    upstream = load_upstream()
    _, claims = collect()
    paired = pairings(upstream, claims)
    compared = [p for p in paired if p.guarantees]
    if not compared:
        raise SystemExit("no guarantee claims a [Conformance] spec of " + ", ".join(FILES))
    stamp = datetime.datetime.now(datetime.UTC)
    out = cache_dir("e2e", "runs", stamp.strftime("%Y%m%dT%H%M%SZ"))
    load_before = os.getloadavg()[0]
    cluster, created = _ensure_cluster(args.cluster, progress)
    try:
        with progress.step(f"Loading {', '.join(built.images)} into {cluster.name}"):
            run(
                [cluster.toolchain.kind, "load", "docker-image", *built.images, "--name", cluster.name],
                timeout=900,
            )
        with progress.step(f"upstream e2e.test: {len(compared)} [Conformance] specs, serially"):
            e2e_seconds, e2e_code, report = run_upstream(built, cluster, [p.spec for p in compared], out)
        results = spec_results(report.read_text()) if report.is_file() else []
        nodeids = list(dict.fromkeys(n for p in compared for n in p.guarantees))
        runs = []
        for mode in modes:
            with progress.step(f"this suite: {len(nodeids)} guarantees, {MODE_NAMES[mode]}"):
                runs.append(run_suite(nodeids, cluster.name, mode, out))
        conditions = _conditions(cluster, created, versions.kubernetes, load_before)
    finally:
        if created:
            cluster.delete(progress)
    rows = [
        Row(p.spec.ref, next((r for r in results if r.at(p.spec.file, p.spec.line)), None), p.guarantees)
        for p in compared
    ]
    conditions.append(f"e2e.test exit code {e2e_code}; logs and reports in {out}")
    title = f"{stamp:%Y-%m-%d}, {len(compared)} [Conformance] specs side by side"
    not_compared = [p.spec.ref for p in paired if not p.guarantees]
    section = render(title, conditions, rows, e2e_seconds, runs, not_compared)
    print(section)
    for suite_run in runs:
        print(f"ratio, this suite {suite_run.mode}: {ratio(e2e_seconds, suite_run.seconds):.2f}")
    if not args.no_write:
        BENCHMARKS.write_text(append_section(BENCHMARKS.read_text(), section))
        print(f"written into {BENCHMARKS}")
    return 0
