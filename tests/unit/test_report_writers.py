"""The report writers MUST render a hand-built results model faithfully, and the HTML MUST load nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reports import allure_files, html, json_summary, matrix
from reports.model import FAILED, PASSED, SKIPPED, Attachment, Run, Step, TestResult, normalize_facts

T0 = 1_763_700_000.0


def result(name: str, outcome: str, reason: str | None = None, **extra: object) -> TestResult:
    return TestResult(
        nodeid=f"conformance/daemonset/test_rollout.py::{name}",
        guarantee=f"{name} MUST hold",
        epic="daemonset",
        feature="test_rollout",
        story=name,
        start=T0,
        end=T0 + 2.5,
        outcome=outcome,
        reason=reason,
        **extra,  # type: ignore[arg-type]
    )


def sample_run(cluster: str = "kind-a", *, fail: bool = True) -> Run:
    steps = [
        Step(
            "arrange: a DaemonSet on 3 workers",
            T0,
            T0 + 1,
            PASSED,
            steps=[Step("wait: 3/3 Ready", T0, T0 + 1, PASSED)],
        ),
        Step(
            "act: roll the image", T0 + 1, T0 + 2, FAILED if fail else PASSED, "AssertionError: web-2 first"
        ),
    ]
    failing = result(
        "test_rolls_one_node_at_a_time",
        FAILED if fail else PASSED,
        "AssertionError: 2 pods unavailable <maxUnavailable=1>" if fail else None,
        phase="call" if fail else None,
        error="def test_rolls...\n>   assert unavailable <= 1\nE   AssertionError: 2 pods unavailable",
        steps=steps,
        attachments=[
            Attachment("events", "text/plain", 31, "ds-abc: FailedScheduling x3 <b>"),
            Attachment("screenshot", "image/png", 2048, None),
        ],
    )
    return Run(
        run_id="20251121-120000-abcd",
        cluster=cluster,
        start=T0,
        end=T0 + 9,
        facts=normalize_facts({"kubernetes_version": "v1.31.0", "nodes": "4", "cni": "kindnet"}),
        results=[
            result("test_pods_on_every_node", PASSED),
            failing,
            result("test_uses_storage", SKIPPED, "no default StorageClass", phase="setup"),
        ],
        exit_status=1 if fail else 0,
    )


def test_summary_line_counts_each_verdict() -> None:
    assert sample_run().summary_line() == "1 passed, 1 failed, 1 skipped"
    assert sample_run(fail=False).summary_line() == "2 passed, 0 failed, 1 skipped"


def test_facts_nobody_gave_are_unknown_and_extra_ones_kept() -> None:
    facts = normalize_facts({"cni": "calico", "cluster": "prod-eu", "zone": "eu-1"})
    assert facts["cni"] == "calico" and facts["cluster"] == "prod-eu"
    assert facts["kind_version"] == "unknown"
    assert list(facts)[:2] == ["cluster", "api_server"] and list(facts)[-1] == "zone"


def test_html_is_one_self_contained_file() -> None:
    page = html.render(sample_run())
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    for outside in ("<script", "src=", "<link", "@import", "url(", "http", "//"):
        assert outside not in page.lower(), f"the report refers to something outside itself: {outside!r}"


def test_html_has_the_verdict_table_and_the_diagnosis() -> None:
    page = html.render(sample_run())
    start = page.index('<table id="verdicts">')
    table = page[start : page.index("</table>", start)]
    assert table.count("<tr>") == 4  # the head and one row per guarantee
    rows = table.split("<tr>")[2:]
    assert [re.search(r'class="judgement [a-z-]+">([a-z ]+)<', row).group(1) for row in rows] == [
        "broken",
        "not verified",
        "holds",
    ]  # broken first, then not verified, then what holds
    assert "Rolls one node at a time" in rows[0] and "test_rolls_one_node_at_a_time MUST hold" in rows[0]
    for verdict in (PASSED, FAILED, SKIPPED):
        assert f'<td class="verdict {verdict}">{verdict}</td>' in table
    assert "no default StorageClass" in table
    assert "2 pods unavailable &lt;maxUnavailable=1&gt;" in table
    assert 'id="cluster-facts"' in page and "kindnet" in page
    assert "ds-abc: FailedScheduling x3 &lt;b&gt;" in page  # the attachment, escaped
    assert "binary, not shown" in page
    assert "wait: 3/3 Ready" in page


def test_json_summary_has_verdicts_reasons_diagnosis_and_facts(tmp_path: Path) -> None:
    path = json_summary.write(sample_run(), tmp_path / "summary.json")
    data = json.loads(path.read_text())
    assert data["summary"] == "1 passed, 1 failed, 1 skipped"
    assert data["facts"]["kubernetes_version"] == "v1.31.0"
    assert data["facts"]["container_runtime"] == "unknown"
    verdicts = {g["story"]: (g["verdict"], g["reason"]) for g in data["guarantees"]}
    assert verdicts["test_uses_storage"] == (SKIPPED, "no default StorageClass")
    assert verdicts["test_pods_on_every_node"] == (PASSED, None)
    failed = next(g for g in data["guarantees"] if g["verdict"] == FAILED)
    assert failed["duration_s"] == 2.5
    assert failed["diagnosis"]["message"].startswith("AssertionError: 2 pods unavailable")
    assert "assert unavailable <= 1" in failed["diagnosis"]["details"]
    assert [a["name"] for a in failed["diagnosis"]["attachments"]] == ["events", "screenshot"]
    assert failed["steps"][0]["steps"][0]["title"] == "wait: 3/3 Ready"


def test_json_summary_reads_back_as_the_same_run(tmp_path: Path) -> None:
    run = sample_run()
    again = json_summary.read(json_summary.write(run, tmp_path / "summary.json").parent)
    assert again.as_dict() == run.as_dict()


def test_environment_properties_has_one_line_per_fact() -> None:
    text = allure_files.render_environment({"kubernetes_version": "v1.31.0", "node image": "a\nb"})
    assert text.splitlines() == ["kubernetes_version=v1.31.0", "node\\ image=a\\nb"]


def test_categories_json_is_valid_and_its_regexes_compile() -> None:
    categories = json.loads(allure_files.render_categories())
    assert categories and all(c["name"] and c["matchedStatuses"] for c in categories)
    for category in categories:
        re.compile(category.get("messageRegex", ""))


def test_allure_files_land_in_the_results_dir(tmp_path: Path) -> None:
    paths = allure_files.write(normalize_facts({"cni": "kindnet"}), tmp_path / "allure-results")
    assert sorted(p.name for p in paths) == ["categories.json", "environment.properties"]
    assert "cni=kindnet" in (tmp_path / "allure-results" / "environment.properties").read_text().splitlines()


def test_matrix_compares_two_runs_guarantee_by_cluster(tmp_path: Path) -> None:
    second = sample_run("kind-b", fail=False)
    second.results = second.results[:2]  # kind-b never ran the storage guarantee
    json_summary.write(sample_run("kind-a"), tmp_path / "a" / "summary.json")
    json_summary.write(second, tmp_path / "b" / "summary.json")
    out = tmp_path / "matrix"

    status = matrix.main(
        ["--summary", str(tmp_path / "a"), "--summary", str(tmp_path / "b"), "--out", str(out)]
    )

    assert status == 1  # kind-a failed a guarantee
    data = json.loads((out / "matrix.json").read_text())
    assert [c["name"] for c in data["clusters"]] == ["kind-a", "kind-b"]
    assert [c["summary"] for c in data["clusters"]] == [
        "1 passed, 1 failed, 1 skipped",
        "2 passed, 0 failed, 0 skipped",
    ]
    rows = {g["story"]: g["verdicts"] for g in data["guarantees"]}
    assert rows["test_rolls_one_node_at_a_time"]["kind-a"]["verdict"] == FAILED
    assert rows["test_rolls_one_node_at_a_time"]["kind-b"]["verdict"] == PASSED
    assert rows["test_uses_storage"]["kind-b"]["verdict"] == "missing"
    page = (out / "matrix.html").read_text()
    assert '<table id="matrix">' in page and '<table id="matrix-facts">' in page
    assert "<script" not in page and "http" not in page


def test_matrix_names_a_missing_summary_instead_of_failing(tmp_path: Path) -> None:
    status = matrix.main(["--summary", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "m")])
    assert status == 1
    cluster = json.loads((tmp_path / "m" / "matrix.json").read_text())["clusters"][0]
    assert cluster["name"] == "nothing-here" and "cannot read run summary" in cluster["problem"]


def test_matrix_runs_pytest_once_per_context_with_its_own_report_dir() -> None:
    argv = matrix.pytest_argv(
        "arn:aws:eks:eu/prod", Path("/k/config"), Path("out/prod"), "conformance", ["-x"]
    )
    assert argv[1:] == [
        "-m", "pytest", "conformance",
        "--wc-provider", "existing",
        "--wc-kubeconfig", "/k/config",
        "--wc-context", "arn:aws:eks:eu/prod",
        "--wc-report-dir", "out/prod",
        "-x",
    ]  # fmt: skip
    assert matrix.dir_name("arn:aws:eks:eu/prod") == "arn_aws_eks_eu_prod"
    options, extra = matrix.parse_args(["--context", "a", "--context", "b", "--", "-k", "rollout"])
    assert options.context == ["a", "b"] and extra == ["-k", "rollout"]


def test_html_reads_like_a_certificate_verdict_facts_and_areas_first() -> None:
    page = html.render(sample_run())
    banner = page.index('<div id="verdict" class="not-conformant">NOT CONFORMANT: 1 broken, 1 not verified')
    assert banner < page.index('id="cluster-facts"') < page.index('id="areas"') < page.index('id="verdicts"')
    areas = page[page.index('<table id="areas">') :]
    assert re.search(r"<th>daemonset</th><td[^>]*>1</td><td[^>]*>1</td><td[^>]*>1</td>", areas)
