"""README's "test my StorageClass" command MUST work as written: a storage driver (here a second
local-path provisioner with a class and provisioner name of its own) installed from its manifest after
its images are loaded, and every storage guarantee run on that class, not the cluster's default; the
report names the class, its provisioner and driver, and how its first claim bound.

The run brings up (and deletes) a cluster of its own, beside this run's shared cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clusters.sample_plugins import STORAGE_CLASS, STORAGE_PROVISIONER

if TYPE_CHECKING:
    from conftest import ReadmeCommands  # tests/conftest.py: the readme fixture

pytestmark = [pytest.mark.own_cluster, pytest.mark.slow]

OUT_DIR = "/tmp/my-storage"


def test_storage_guarantees_run_on_the_installed_class_and_the_report_names_it(
    readme: ReadmeCommands, tmp_path: Path
) -> None:
    command = readme.command("test-my-storage-class")
    run = readme.run(command, tmp_path / "report", substitutions={OUT_DIR: str(tmp_path / "storage")})

    assert run.returncode == 0, f"the README command failed (exit {run.returncode}); its output is above"
    outcomes = run.outcomes()
    assert len(outcomes) >= 4 and set(outcomes.values()) == {"passed"}, outcomes
    facts = run.summary["facts"]
    assert facts["storage_class_under_test"].startswith(f"{STORAGE_CLASS} ({STORAGE_PROVISIONER}"), facts
    assert facts["storage_binding"].startswith("a claim bound in"), facts
    assert "local-path-wc-sample.yaml" in facts["storage_driver"], facts
