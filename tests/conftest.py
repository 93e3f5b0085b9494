"""Shared by the harness's own tests: how an inner pytest run reaches the cluster this run uses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import parallel_run
import pytest

from clusters.cluster import Cluster
from clusters.progress import Progress
from clusters.toolchain import resolve
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.plugin.concurrency import WORKERS_ENV, is_xdist_worker
from fixtures.plugin.keys import options_key
from fixtures.plugin.nodes import DISRUPTIVE

OWN_CLUSTER = parallel_run.OWN_CLUSTER


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads -n
def pytest_cmdline_main(config: pytest.Config) -> None:
    """README's ``python3 -m pytest tests`` runs on three workers (tests/parallel_run.py)."""
    if is_xdist_worker() or not config.pluginmanager.has_plugin("xdist"):
        return
    workers = parallel_run.workers_for(
        [str(a) for a in config.invocation_params.args],
        dict(os.environ),
        Path(__file__).resolve().parent,
        config.invocation_params.dir,
    )
    if workers > 1:
        config.option.numprocesses = workers


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") not in ("load", "loadgroup"):
        return None
    config.option.loadscopereorder = False  # own clusters first, then in collection order
    return parallel_run.OwnClustersOnOneWorker(config, log)


def pytest_configure(config: pytest.Config) -> None:
    # The inner runs these tests start each check one or two guarantees: xdist workers would only add
    # their start-up time, so they run serially unless a test asks for -n itself.
    os.environ.setdefault(WORKERS_ENV, "0")
    config.addinivalue_line(
        "markers", f"{OWN_CLUSTER}: brings up a kind cluster of its own (runs before the shared one exists)"
    )
    config.addinivalue_line(
        "markers",
        f"{parallel_run.ADDS_NODES}: adds a node to the shared cluster (never beside an own cluster)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that bring up kind clusters of their own come first, the smallest cluster first: run serially,
    before this run's shared cluster is created (lazily, by the first test that needs it); on the default
    three workers, on one worker beside the rest (tests/parallel_run.py). Of the rest, files with
    disruptive tests come first, those adding nodes first of all: they run one at a time, so they are best
    spread beside the own clusters (the one-node own cluster leaves the node adders' slots free) rather
    than left for the end of the run, where nothing else runs beside them."""
    by_file: dict[Path, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.path, []).append(item)

    def file_order(item: pytest.Item) -> tuple[int, int]:
        tests = by_file[item.path]
        if item.get_closest_marker(OWN_CLUSTER) is not None:
            return (0, min(len(parallel_run.node_slots(t)) for t in tests))
        if any(t.get_closest_marker(parallel_run.ADDS_NODES) for t in tests):
            return (1, 0)
        return (1, 1) if any(t.get_closest_marker(DISRUPTIVE) for t in tests) else (1, 2)

    # whole files: a worker takes a file at a time, where its first test stands
    items.sort(key=file_order)
    parallel_run.check_own_cluster_files(items)


@pytest.fixture(autouse=True)
def _room_for_the_nodes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Under xdist, a test bringing up its own cluster or adding nodes to the shared one holds its node
    slots from its setup to its teardown (tests/parallel_run.py)."""
    workerinput = getattr(request.config, "workerinput", None)
    slots = parallel_run.node_slots(request.node)
    if workerinput is None or not slots:
        yield
        return
    with parallel_run.node_room(
        tmp_path_factory.getbasetemp().parent,
        workerinput["testrunuid"],
        f"{workerinput['workerid']} {request.node.nodeid}",
        slots,
    ):
        yield


@pytest.fixture
def inner_cluster_args(
    pytestconfig: pytest.Config, wc_cluster: ClusterUnderTest, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Options that point an inner pytest run at this run's cluster, which it must reuse, never delete.

    pytester gives inner runs their own HOME: WC_CACHE_DIR keeps them on this run's toolchain cache
    (else they would build the whole toolchain again)."""
    options = pytestconfig.stash[options_key]
    if wc_cluster.kind is not None:
        monkeypatch.setenv("WC_CACHE_DIR", str(wc_cluster.kind.state_dir.parent.parent))
    args = ["--wc-provider", options.provider, "--wc-cluster-name", options.cluster_name, "--wc-keep-cluster"]
    if options.kubeconfig is not None:
        args += ["--wc-kubeconfig", str((pytestconfig.invocation_params.dir / options.kubeconfig).resolve())]
    if options.context:
        args += ["--wc-context", options.context]
    if options.toolchain:
        args += ["--wc-toolchain", options.toolchain]
    if wc_cluster.toolbox_image:
        args += ["--wc-toolbox-image", wc_cluster.toolbox_image]
    return args


ROOT = Path(__file__).resolve().parent.parent


def readme_command(name: str) -> str:
    """The shell block README.md marks with ``<!-- readme-command: NAME -->``, as written there."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- readme-command: {re.escape(name)} -->\s*```sh\n(.*?)```", text, re.S)
    if match is None:
        raise AssertionError(f"README.md has no block marked readme-command: {name}")
    return match.group(1)


@dataclass(frozen=True)
class ReadmeRun:
    """One README command block, run for real with bash from the checkout."""

    returncode: int
    output: str
    summary: dict[str, Any]

    def outcomes(self) -> dict[str, str]:
        """Verdict per test id, from the run's summary.json."""
        return {g["id"]: g["verdict"] for g in self.summary.get("guarantees", [])}


class ReadmeCommands:
    """README's marked command blocks, read and run for real (the ``readme`` fixture)."""

    command = staticmethod(readme_command)

    @staticmethod
    def run(
        script: str, report_dir: Path, *, timeout: float = 1800, substitutions: dict[str, str] | None = None
    ) -> ReadmeRun:
        return run_readme_command(script, report_dir, timeout=timeout, substitutions=substitutions)


@pytest.fixture
def readme() -> ReadmeCommands:
    return ReadmeCommands()


def run_readme_command(
    script: str, report_dir: Path, *, timeout: float = 1800, substitutions: dict[str, str] | None = None
) -> ReadmeRun:
    """Run a README block (after plain-text substitutions), its pytest writing reports to report_dir.
    The output is printed, so a failing test shows it."""
    for old, new in (substitutions or {}).items():
        if old not in script:
            raise AssertionError(f"README command has no {old!r} to replace:\n{script}")
        script = script.replace(old, new)
    script = script.replace(
        "python3 -m pytest ", f"python3 -m pytest -p no:cacheprovider --wc-report-dir {report_dir} "
    )
    for leftover in re.findall(r"--wc-cluster-name (\S+)", script):  # from an interrupted earlier run
        subprocess.run(["wc-cluster", "delete", "--name", leftover], capture_output=True, check=False)
    return run_and_read(["bash", "-euo", "pipefail", "-c", script], report_dir, timeout=timeout)


def run_and_read(
    argv: list[str], report_dir: Path, *, timeout: float, env: dict[str, str] | None = None
) -> ReadmeRun:
    """Run a command from the checkout whose pytest writes its reports to report_dir; the output is
    printed, so a failing test shows it, and the summary read ({} when the run wrote none)."""
    done = subprocess.run(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    print(done.stdout)
    summary_file = report_dir / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return ReadmeRun(done.returncode, done.stdout, summary)


class OwnClusters:
    """What a test bringing up a kind cluster of its own needs (the ``own_clusters`` fixture): the cluster,
    deleted whatever happens, and an inner run of guarantees against it through --wc-provider existing, as
    a certifier would run them."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @contextmanager
    def up(self, name: str, topology: Path) -> Iterator[Cluster]:
        """The kind cluster ``name`` of this topology (one left by an interrupted run is deleted first),
        deleted afterwards whatever happened."""
        progress = Progress()
        cluster = Cluster(name, resolve(self.config.stash[options_key].toolchain, progress))
        try:
            if cluster.exists():
                cluster.delete(progress)
            cluster.create(topology, progress)
            yield cluster
        finally:
            cluster.delete(progress)

    @staticmethod
    def run_suite(
        paths: list[str],
        kubeconfig: Path,
        report_dir: Path,
        *,
        env: dict[str, str] | None = None,
        timeout: float = 1800,
    ) -> ReadmeRun:
        """``python3 -m pytest PATHS --wc-provider existing --wc-kubeconfig KUBECONFIG``, its reports in
        report_dir; the output is printed, so a failing test shows it."""
        argv = [sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider"]
        argv += [
            "--wc-report-dir",
            str(report_dir),
            "--wc-provider",
            "existing",
            "--wc-kubeconfig",
            str(kubeconfig),
        ]
        return run_and_read(argv, report_dir, timeout=timeout, env=env)


@pytest.fixture
def own_clusters(pytestconfig: pytest.Config) -> OwnClusters:
    return OwnClusters(pytestconfig)
