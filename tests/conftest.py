"""Shared by the harness's own tests: how an inner pytest run reaches the cluster this run uses."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.plugin.concurrency import WORKERS_ENV
from fixtures.plugin.keys import options_key

OWN_CLUSTER = "own_cluster"


def pytest_configure(config: pytest.Config) -> None:
    # The inner runs these tests start each check one or two guarantees: xdist workers would only add
    # their start-up time, so they run serially unless a test asks for -n itself.
    os.environ.setdefault(WORKERS_ENV, "0")
    config.addinivalue_line(
        "markers", f"{OWN_CLUSTER}: brings up a kind cluster of its own (runs before the shared one exists)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that bring up kind clusters of their own run first, before this run's shared cluster is
    created (lazily, by the first test that needs it): this host fits only about seven kind nodes
    (clusters/host_limits.py), so the two must not be up together."""
    items.sort(key=lambda item: item.get_closest_marker(OWN_CLUSTER) is None)


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
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
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
