"""README's "test my StorageClass" command MUST work as written: a storage driver (here a second
local-path provisioner with a class and provisioner name of its own) installed from its manifest after
its images are loaded, and the storage guarantees run on that class, not the cluster's default; the
report names the class, its provisioner and driver, and how its first claim bound.

The command runs here as written but for a -k selection of six storage guarantees, one for each thing a
storage driver is asked here: per-ordinal claims and their data, data across a restart of the whole set, a
volume pinning its pod to the nodes it allows (and holding it Pending while they are cordoned), pods spread
over three nodes each with its own volume, and a real database's member back on its own claim. Every
storage guarantee runs on the cluster's default class in README's first command; running all of them
again here took 923 s of a CI run, the six about a quarter of it.

The run brings up (and deletes) a cluster of its own, beside this run's shared cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clusters.sample_plugins import STORAGE_CLASS, STORAGE_PROVISIONER
from fixtures.plugin.concurrency import WORKERS_ENV

if TYPE_CHECKING:
    from conftest import ReadmeCommands  # tests/conftest.py: the readme fixture

pytestmark = [pytest.mark.own_cluster, pytest.mark.slow]

OUT_DIR = "/tmp/my-storage"
SELECTION = (
    "storage_follows_the_ordinal or survive_a_restart or volume_pins_the_pod or comes_back_as_itself "
    "or Parallel-anti-affinity"
)
SELECTED = 6


def test_storage_guarantees_run_on_the_installed_class_and_the_report_names_it(
    readme: ReadmeCommands, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)  # the command's own concurrency, as a user gets it
    command = readme.command("test-my-storage-class")
    run = readme.run(
        command,
        tmp_path / "report",
        substitutions={OUT_DIR: str(tmp_path / "storage"), "-m storage": f"-m storage -k '{SELECTION}'"},
    )

    assert run.returncode == 0, f"the README command failed (exit {run.returncode}); its output is above"
    outcomes = run.outcomes()
    assert len(outcomes) == SELECTED and set(outcomes.values()) == {"passed"}, outcomes
    facts = run.summary["facts"]
    assert facts["storage_class_under_test"].startswith(f"{STORAGE_CLASS} ({STORAGE_PROVISIONER}"), facts
    assert facts["storage_binding"].startswith("a claim bound in"), facts
    assert "local-path-wc-sample.yaml" in facts["storage_driver"], facts
