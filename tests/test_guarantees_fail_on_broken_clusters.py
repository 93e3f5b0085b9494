"""The guarantees fail, and say why, on clusters where the promise is broken.

Each case breaks the live kind cluster on purpose, runs one guarantee in an inner pytest against it,
and mends the cluster afterwards, also when the case fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clusters.control_plane import controllers_disabled
from fixtures.cluster_access import ClusterUnderTest

pytestmark = pytest.mark.disruptive
ROOT = Path(__file__).resolve().parent.parent


def run_guarantee(
    wc_cluster: ClusterUnderTest, test: str, timeout_scale: float = 0.2
) -> subprocess.CompletedProcess:
    """One guarantee against the cluster under test, with its waits shortened."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            test,
            "-p",
            "no:cacheprovider",
            "--wc-no-report",
            "-q",
            "--wc-provider",
            "existing",
            "--wc-kubeconfig",
            str(wc_cluster.kubeconfig),
            "--wc-toolbox-image",
            wc_cluster.toolbox_image,
        ],
        cwd=ROOT,
        env={**os.environ, "WC_TIMEOUT_SCALE": str(timeout_scale)},
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_coverage_fails_naming_each_node_without_its_pod_when_the_daemonset_controller_is_off(
    wc_cluster: ClusterUnderTest,
) -> None:
    if wc_cluster.kind is None:
        pytest.skip("needs a kind cluster brought up by this suite to restart its controller manager")
    workers = sorted(
        n.metadata.name
        for n in wc_cluster.core.list_node(label_selector="!node-role.kubernetes.io/control-plane").items
    )
    with controllers_disabled(wc_cluster.kind, ["daemonset"]):
        result = run_guarantee(wc_cluster, "conformance/daemonset/test_coverage.py")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "timed out after" in output and "apps/v1 DaemonSet" in output, output[-3000:]
    for worker in workers:
        assert f"{worker}: no pod" in output, f"{worker} is not named as lacking its pod:\n{output[-3000:]}"
    assert "Traceback" not in output
