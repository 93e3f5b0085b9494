"""wc-matrix runs the suite once per kubeconfig context and writes one guarantee x cluster matrix.

Both contexts name the cluster under test (a second context is an alias of the first): the mechanism
is exercised for real, on two runs, without a second cluster's worth of nodes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from fixtures.facts.cluster_under_test import ClusterUnderTest

ROOT = Path(__file__).resolve().parent.parent


def test_matrix_compares_two_contexts(wc_cluster: ClusterUnderTest, tmp_path: Path) -> None:
    config = yaml.safe_load(wc_cluster.kubeconfig.read_text())
    first = wc_cluster.context or config["current-context"]
    context = next(c for c in config["contexts"] if c["name"] == first)
    config["contexts"].append({"name": "alias", "context": dict(context["context"])})
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    out = tmp_path / "matrix"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reports.matrix",
            "--kubeconfig",
            str(kubeconfig),
            "--context",
            first,
            "--context",
            "alias",
            "--out",
            str(out),
            "--suite",
            "conformance/daemonset/test_coverage.py",
            "--",
            "-p",
            "no:cacheprovider",
            "--wc-toolbox-image",
            wc_cluster.toolbox_image,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    matrix = json.loads((out / "matrix.json").read_text())
    assert [c["name"] for c in matrix["clusters"]] == [first, "alias"]
    assert all(c["facts"].get("kubernetes_version") == wc_cluster.version for c in matrix["clusters"])
    (row,) = matrix["guarantees"]
    assert row["story"] == "test_daemonset_covers_every_eligible_node"
    assert {name: cell["verdict"] for name, cell in row["verdicts"].items()} == {
        first: "passed",
        "alias": "passed",
    }
    assert 'id="matrix"' in (out / "matrix.html").read_text()
