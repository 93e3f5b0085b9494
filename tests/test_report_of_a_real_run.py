"""A small real suite on the cluster, one guarantee of it broken on purpose: the run's JUnit,
allure-results, HTML report and JSON summary carry the right verdicts, reasons and cluster facts."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest

ROOT = Path(__file__).resolve().parent.parent

BROKEN_GUARANTEE = '''
"""A DaemonSet covers a node that carries a label no node has (a guarantee no cluster keeps)."""

import pytest

from clusters.kube.waits import wait_for

pytestmark = pytest.mark.daemonset


def test_daemonset_on_a_label_nobody_has(make_daemonset, step):
    """Deliberately failing: expects a pod on every worker while selecting a label no node has."""
    with step("arrange: a DaemonSet selecting a label no node has"):
        ghost = make_daemonset("ghost", node_selector={"wc-test/absent": "yes"})
    with step("observe: coverage of the nodes the selector allows (none)"):
        _, expected, by_node = wait_for(ghost.covers_eligible_nodes().within(60))
        assert len(by_node) == 3, f"expected a pod on each of the 3 workers, found pods on {sorted(by_node)}"
'''


def test_reports_of_a_run_with_one_broken_guarantee(
    wc_cluster: ClusterUnderTest, inner_cluster_args: list[str], tmp_path: Path
) -> None:
    broken = tmp_path / "conformance" / "daemonset" / "test_broken_guarantee.py"  # a guarantee: judged
    broken.parent.mkdir(parents=True)
    broken.write_text(BROKEN_GUARANTEE)
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "conformance/daemonset/test_coverage.py",
            str(broken),
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
            "--wc-report-dir",
            str(run_dir),
            *inner_cluster_args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert result.stdout.strip().splitlines()[-2:] == [
        "1 passed, 1 failed, 0 skipped",
        "NOT CONFORMANT: 1 broken",
    ], output[-2000:]

    suite = ET.parse(run_dir / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failure = next(case for case in suite.iter("testcase") if case.find("failure") is not None)
    assert failure.get("name") == "test_daemonset_on_a_label_nobody_has"

    summary = json.loads((run_dir / "summary.json").read_text())
    verdicts = {g["story"]: g for g in summary["guarantees"]}
    assert verdicts["test_daemonset_covers_every_eligible_node"]["verdict"] == "passed"
    broken_verdict = verdicts["test_daemonset_on_a_label_nobody_has"]
    assert broken_verdict["verdict"] == "failed"
    assert "expected a pod on each of the 3 workers" in broken_verdict["reason"]
    assert broken_verdict["diagnosis"], "a failed guarantee carries its diagnosis"
    facts = summary["facts"]
    assert facts["kubernetes_version"] == wc_cluster.version
    assert facts["default_storage_class"] not in ("", "unknown")
    if wc_cluster.kind is not None:
        assert facts["kind_version"] == wc_cluster.kind.toolchain.kind_version
        assert facts["node_image"] == wc_cluster.kind.toolchain.node_image

    allure_results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    by_name = {r["name"]: r for r in allure_results}
    assert by_name["test_daemonset_on_a_label_nobody_has"]["status"] == "failed"
    assert by_name["test_daemonset_covers_every_eligible_node"]["status"] == "passed"
    labels = {
        (label["name"], label["value"])
        for label in by_name["test_daemonset_covers_every_eligible_node"]["labels"]
    }
    assert ("epic", "daemonset") in labels and ("feature", "test_coverage") in labels
    environment = (run_dir / "allure-results" / "environment.properties").read_text()
    assert f"kubernetes_version={wc_cluster.version}" in environment.replace(" = ", "=")

    html = (run_dir / "report.html").read_text()
    assert 'id="verdicts"' in html and "expected a pod on each of the 3 workers" in html
    assert "<script src" not in html


@pytest.fixture(autouse=True)
def _needs_three_workers(require_workers) -> None:
    require_workers(3)
