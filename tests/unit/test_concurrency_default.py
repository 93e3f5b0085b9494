"""Guarantees run concurrently by default; the command line and WC_WORKERS decide otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.plugin.concurrency import (
    CONTROLLER_PID_ENV,
    MAX_WORKERS,
    default_workers,
    distribution_chosen,
    is_xdist_worker,
    runs_guarantees,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "args",
    [
        ["conformance", "-n", "0"],
        ["conformance", "-n0"],
        ["conformance", "-nauto"],
        ["conformance", "--numprocesses=3"],
        ["conformance", "--dist", "load"],
        ["conformance", "-p", "no:xdist"],
        ["conformance", "-pno:xdist"],
        ["conformance", "--pdb"],
        ["conformance", "--collect-only"],
    ],
)
def test_a_command_line_that_decides_keeps_its_choice(args: list[str]) -> None:
    assert distribution_chosen(args)


def test_a_plain_run_leaves_the_choice_to_the_default() -> None:
    assert not distribution_chosen(
        ["conformance", "--wc-cluster-name", "wc-dev", "-k", "dns", "-m", "not slow"]
    )


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["conformance"], True),
        (["conformance/dns"], True),
        (["conformance/dns/test_headless_pod_records.py::test_headless_pod_records"], True),
        (["tests/unit"], False),
        ([], False),
        (["no/such/conformance"], False),
    ],
)
def test_only_runs_of_guarantees_get_the_default(paths: list[str], expected: bool) -> None:
    assert runs_guarantees(paths, ROOT) is expected


def test_the_default_size_is_two_workers_per_core_within_bounds() -> None:
    assert default_workers(1, {}) == 2
    assert default_workers(2, {}) == 4
    assert default_workers(64, {}) == MAX_WORKERS
    assert default_workers(None, {}) == 2


def test_wc_workers_sets_the_size_and_zero_means_serial() -> None:
    assert default_workers(2, {"WC_WORKERS": "0"}) == 0
    assert default_workers(2, {"WC_WORKERS": "3"}) == 3


@pytest.mark.parametrize("bad", ["abc", "-1", "2.5"])
def test_a_bad_wc_workers_is_a_usage_error(bad: str) -> None:
    with pytest.raises(pytest.UsageError, match="WC_WORKERS"):
        default_workers(2, {"WC_WORKERS": bad})


def test_a_pytest_started_by_an_xdist_worker_is_not_taken_for_a_worker() -> None:
    """A worker's inner run inherits PYTEST_XDIST_WORKER; only the run's own workers have it as parent."""
    worker_env = {"PYTEST_XDIST_WORKER": "gw0", CONTROLLER_PID_ENV: "100"}
    assert is_xdist_worker(worker_env, parent=100)
    assert not is_xdist_worker(worker_env, parent=200)
    assert not is_xdist_worker({CONTROLLER_PID_ENV: "100"}, parent=100)
