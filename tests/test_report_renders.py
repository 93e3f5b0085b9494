"""The HTML report MUST render offline in a real browser and show its verdict table.

Uses headless Chromium (Debian's `chromium` package); skipped with the reason when it is not installed.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from reports import html, json_summary, matrix
from reports.model import FAILED, PASSED, SKIPPED, Run, Step, TestResult, normalize_facts

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)

WIDTH, HEIGHT = 1280, 900
BROWSER_TIMEOUT = 180  # seconds; a busy 2-core machine starts Chromium slowly
T0 = 1_763_700_000.0


def run_of(cluster: str, outcomes: tuple[str, ...]) -> Run:
    reasons = {
        PASSED: None,
        FAILED: "AssertionError: 2/3 Ready; web-2 Pending",
        SKIPPED: "no default StorageClass",
    }
    return Run(
        run_id="20251121-120000-abcd",
        cluster=cluster,
        start=T0,
        end=T0 + 30,
        facts=normalize_facts({"kubernetes_version": "v1.31.0", "nodes": "4", "cni": "kindnet"}),
        results=[
            TestResult(
                nodeid=f"conformance/statefulset/test_partition.py::test_{index}",
                guarantee=f"Guarantee {index} MUST hold",
                epic="statefulset",
                feature="test_partition",
                story=f"test_{index}",
                start=T0,
                end=T0 + 3,
                outcome=outcome,
                phase="call" if outcome != PASSED else None,
                reason=reasons[outcome],
                error="E   AssertionError: 2/3 Ready" if outcome == FAILED else None,
                steps=[Step("arrange: web with 3 replicas", T0, T0 + 1, PASSED)],
            )
            for index, outcome in enumerate(outcomes)
        ],
        exit_status=1,
    )


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with everything that would reach the network switched off."""
    argv = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return done


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_run_report_renders_with_its_verdict_table(tmp_path: Path) -> None:
    page = html.write(run_of("kind-a", (PASSED, FAILED, SKIPPED)), tmp_path / "report.html")
    screenshot = tmp_path / "report.png"

    chromium(
        f"--screenshot={screenshot}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.as_uri(),
        profile=tmp_path / "p1",
    )
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p2").stdout

    assert screenshot.exists() and png_size(screenshot) == (WIDTH, HEIGHT)
    assert screenshot.stat().st_size > 20_000, "the screenshot is nearly empty"
    assert '<table id="verdicts">' in dom
    assert '<td class="verdict failed">failed</td>' in dom
    assert "AssertionError: 2/3 Ready; web-2 Pending" in dom
    assert '<table id="cluster-facts">' in dom
    banner = '<div id="verdict" class="not-conformant">NOT CONFORMANT: 1 broken, 1 not verified'
    assert banner in dom and dom.index(banner) < dom.index('<table id="areas">') < dom.index('id="verdicts"')


def test_matrix_renders_with_one_column_per_cluster(tmp_path: Path) -> None:
    for name, outcomes in (("kind-a", (PASSED, FAILED)), ("kind-b", (PASSED, PASSED))):
        json_summary.write(run_of(name, outcomes), tmp_path / name / "summary.json")
    html_path, _ = matrix.write(
        [matrix.read_column(tmp_path / "kind-a"), matrix.read_column(tmp_path / "kind-b")], tmp_path
    )
    screenshot = tmp_path / "matrix.png"

    chromium(
        f"--screenshot={screenshot}",
        f"--window-size={WIDTH},{HEIGHT}",
        html_path.as_uri(),
        profile=tmp_path / "p1",
    )
    dom = chromium("--dump-dom", html_path.as_uri(), profile=tmp_path / "p2").stdout

    assert png_size(screenshot) == (WIDTH, HEIGHT) and screenshot.stat().st_size > 20_000
    assert '<table id="matrix">' in dom
    assert "<th>kind-a</th><th>kind-b</th>" in dom
    assert '<td class="verdict failed" title="AssertionError: 2/3 Ready; web-2 Pending">' in dom
