"""A run of the suite MUST leave JUnit, Allure, HTML and JSON reports and end with the CI summary line.

Each test runs a tiny fake suite (one pass, one failure, one skip) in a pytest subprocess, so its
Allure listeners and reports stay apart from this run's own.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FAKE_TESTS = '''
"""DaemonSet pods MUST run on every eligible node."""
import pytest


def test_lands_on_every_worker(step):
    """A DaemonSet pod MUST land on each worker."""
    with step("arrange: a DaemonSet"):
        with step("wait: 3/3 scheduled"):
            pass


@pytest.mark.statefulset
def test_rolls_in_reverse_order(step):
    """Ordinals MUST roll from the highest down.
    Fails on: a controller that rolls in parallel."""
    step.attach("web-2 Pending: 0/3 nodes match nodeSelector", "pod status")
    with step("act: change the image"):
        assert 1 == 2, "web-0 was updated before web-2"


def test_needs_storage():
    pytest.skip("no default StorageClass")
'''

FACTS_CONFTEST = """
def pytest_wc_cluster_facts(config):
    return {"kubernetes_version": "v1.31.0", "nodes": "4", "cni": "kindnet", "cluster": "fake-ctx"}
"""

INI = """
[pytest]
markers =
    statefulset: a StatefulSet guarantee
"""

SUMMARY_LINE = "1 passed, 1 failed, 1 skipped"
VERDICT_LINE = "NOT CONFORMANT: 1 broken, 1 not verified (no default StorageClass)"
STORIES = ("test_lands_on_every_worker", "test_rolls_in_reverse_order", "test_needs_storage")


@pytest.fixture
def fake_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """The fake suite, with a conftest that answers the cluster facts hook."""
    pytester.makeini(INI)
    pytester.makeconftest(FACTS_CONFTEST)
    folder = pytester.mkdir("conformance") / "daemonset"
    folder.mkdir()
    (folder / "test_rollout.py").write_text(FAKE_TESTS)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the fake suite without the cluster fixtures plugin (it needs no cluster)."""
    return pytester.runpytest_subprocess("-p", "no:workload_conformance", "-p", "no:cacheprovider", *args)


def test_run_ends_with_the_summary_line_and_keeps_the_exit_status(fake_suite: pytest.Pytester) -> None:
    result = run(fake_suite, "--wc-report-dir", "out")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    lines = [line for line in result.outlines if line.strip()]
    assert lines[-2:] == [SUMMARY_LINE, VERDICT_LINE], result.stdout.str()


HOLDING_SUITE = """
import pytest


class NotVerified(Exception):  # the shape of clusters.kube.verdicts.NotVerified
    verdict = "not verified"


def test_holds():
    pass


@pytest.mark.storage
def test_stopped_by_the_cluster():
    raise NotVerified("storage: no claim of StorageClass standard bound in 120 s")


@pytest.mark.storage
def test_skipped():
    pytest.skip("the feature is off")
"""


@pytest.fixture
def holding_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI.replace("statefulset: a StatefulSet guarantee", "storage: needs storage"))
    folder = pytester.mkdir("conformance") / "statefulset"
    folder.mkdir()
    (folder / "test_three.py").write_text(HOLDING_SUITE)
    return pytester


def test_not_verified_and_skipped_guarantees_make_the_run_not_conformant(
    holding_suite: pytest.Pytester,
) -> None:
    result = run(holding_suite, "--wc-report-dir", "out")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.outlines[-1] == (
        "NOT CONFORMANT: 2 not verified (storage: no claim of StorageClass standard bound in 120 s; "
        "and 1 other reason(s))"
    )
    summary = json.loads((holding_suite.path / "out" / "summary.json").read_text())
    assert summary["verdict"]["conformant"] is False
    judgements = {g["story"]: g["judgement"] for g in summary["guarantees"]}
    assert judgements == {
        "test_holds": "holds",
        "test_stopped_by_the_cluster": "not verified",
        "test_skipped": "not verified",
    }
    page = (holding_suite.path / "out" / "report.html").read_text()
    assert '<div id="verdict" class="not-conformant">NOT CONFORMANT: 2 not verified' in page


def test_only_a_run_where_every_selected_guarantee_holds_is_conformant_and_exits_0(
    holding_suite: pytest.Pytester,
) -> None:
    result = run(holding_suite, "--wc-report-dir", "out", "-m", "not storage")
    assert result.ret == pytest.ExitCode.OK
    assert result.outlines[-1] == "CONFORMANT: 1 of 1 selected guarantees hold; 2 left out by request"
    summary = json.loads((holding_suite.path / "out" / "summary.json").read_text())
    assert summary["verdict"]["conformant"] is True
    assert sorted(summary["verdict"]["left_out_by_request"]) == [
        "conformance/statefulset/test_three.py::test_skipped",
        "conformance/statefulset/test_three.py::test_stopped_by_the_cluster",
    ]
    assert (
        '<div id="verdict" class="conformant">CONFORMANT'
        in (holding_suite.path / "out" / "report.html").read_text()
    )


OPTIONAL_SUITE = """
import pytest


class NotVerified(Exception):  # the shape of clusters.kube.verdicts.NotVerified
    verdict = "not verified"


def test_holds():
    pass


@pytest.mark.optional("needs the alpha feature gate Recreate, off by default")
def test_alpha():
    raise NotVerified("the feature gate is off")
"""


def test_an_optional_guarantee_not_verified_is_shown_and_leaves_a_conformant_run_exiting_0(
    holding_suite: pytest.Pytester,
) -> None:
    (holding_suite.path / "conformance" / "statefulset" / "test_optional.py").write_text(OPTIONAL_SUITE)
    result = run(holding_suite, "--wc-report-dir", "out", "conformance/statefulset/test_optional.py")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert result.outlines[-1] == (
        "CONFORMANT: 1 of 1 selected guarantees hold; optional, not counted: 1 not verified"
    )
    summary = json.loads((holding_suite.path / "out" / "summary.json").read_text())
    alpha = "conformance/statefulset/test_optional.py::test_alpha"
    assert summary["verdict"]["optional"] == {alpha: "not verified"}
    optional = {g["story"]: g["optional"] for g in summary["guarantees"]}
    assert optional == {
        "test_holds": None,
        "test_alpha": "needs the alpha feature gate Recreate, off by default",
    }


LEAVE_OUT = "--wc-leave-out"
SKIPPED_ID = "conformance/statefulset/test_three.py::test_skipped"
STOPPED_ID = "conformance/statefulset/test_three.py::test_stopped_by_the_cluster"


def test_guarantees_left_out_with_a_reason_are_listed_so_and_not_counted(
    holding_suite: pytest.Pytester,
) -> None:
    result = run(
        holding_suite,
        "--wc-report-dir",
        "out",
        LEAVE_OUT,
        f"{SKIPPED_ID}=feature gate off on our distro",
        "-k",
        "not stopped",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert result.outlines[-3:] == [
        f"{SKIPPED_ID}: left out by request: feature gate off on our distro",
        "1 passed, 0 failed, 0 skipped",
        "CONFORMANT: 1 of 1 selected guarantees hold; 2 left out by request",
    ]
    verdict = json.loads((holding_suite.path / "out" / "summary.json").read_text())["verdict"]
    assert verdict["held"] == 1 and sorted(verdict["left_out_by_request"]) == [SKIPPED_ID, STOPPED_ID]
    assert verdict["left_out_reasons"] == {
        SKIPPED_ID: "left out by request: feature gate off on our distro",
        STOPPED_ID: "left out by request: deselected with -m or -k",
    }
    page = (holding_suite.path / "out" / "report.html").read_text()
    assert '<table id="left-out">' in page
    assert "left out by request: feature gate off on our distro" in page


def test_a_keyword_leaves_out_every_test_it_names(holding_suite: pytest.Pytester) -> None:
    result = run(
        holding_suite, "--wc-report-dir", "out", LEAVE_OUT, "storage=no CSI driver on this edge distro"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=1, deselected=2)
    assert result.outlines[-1] == "CONFORMANT: 1 of 1 selected guarantees hold; 2 left out by request"
    reasons = json.loads((holding_suite.path / "out" / "summary.json").read_text())["verdict"][
        "left_out_reasons"
    ]
    assert set(reasons.values()) == {"left out by request: no CSI driver on this edge distro"}


def test_with_xdist_workers_the_left_out_guarantees_reach_the_verdict(holding_suite: pytest.Pytester) -> None:
    result = run(holding_suite, "--wc-no-report", "-n", "2", LEAVE_OUT, "storage=no CSI driver")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert result.outlines[-1] == "CONFORMANT: 1 of 1 selected guarantees hold; 2 left out by request"
    assert f"{SKIPPED_ID}: left out by request: no CSI driver" in result.outlines


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (
            "conformance/statefulset/test_thre=typo",
            "ERROR: --wc-leave-out 'conformance/statefulset/test_thre=typo' leaves nothing out: no collected "
            "test's node id starts with it*",
        ),
        (
            "stateful=typo",
            "ERROR: --wc-leave-out 'stateful=typo' leaves nothing out: no collected test has it*",
        ),
        ("storage", "ERROR: --wc-leave-out 'storage': give SELECTOR=REASON*"),
    ],
    ids=["prefix-matching-nothing", "keyword-matching-nothing", "no-reason"],
)
def test_a_leave_out_entry_that_cannot_be_used_is_one_line(
    holding_suite: pytest.Pytester, entry: str, line: str
) -> None:
    result = run(holding_suite, "--wc-no-report", LEAVE_OUT, entry)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([line])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert not any(line.startswith("PASSED") for line in result.outlines)


def test_run_writes_junit_xml_with_each_verdict(fake_suite: pytest.Pytester) -> None:
    run(fake_suite, "--wc-report-dir", "out")
    cases = {
        case.get("name"): case for case in ET.parse(fake_suite.path / "out" / "junit.xml").iter("testcase")
    }
    assert set(cases) == set(STORIES)
    failure = cases["test_rolls_in_reverse_order"].find("failure")
    assert failure is not None and "web-0 was updated before web-2" in (failure.get("message") or "")
    skipped = cases["test_needs_storage"].find("skipped")
    assert skipped is not None and "no default StorageClass" in (skipped.get("message") or "")
    assert not list(cases["test_lands_on_every_worker"])


def test_run_writes_allure_results_with_labels_steps_and_environment(fake_suite: pytest.Pytester) -> None:
    run(fake_suite, "--wc-report-dir", "out")
    allure_dir = fake_suite.path / "out" / "allure-results"
    results = [json.loads(path.read_text()) for path in allure_dir.glob("*-result.json")]
    by_story = {}
    for one in results:
        labels = {label["name"]: label["value"] for label in one["labels"]}
        by_story[labels["story"]] = (one, labels)
    assert set(by_story) == set(STORIES)
    failed, labels = by_story["test_rolls_in_reverse_order"]
    # the folder under conformance/ decides the area, whatever markers the test carries
    assert (labels["epic"], labels["feature"]) == ("daemonset", "test_rollout")
    assert by_story["test_lands_on_every_worker"][1]["epic"] == "daemonset"  # from the folder
    assert failed["status"] == "failed"
    assert [step["name"] for step in failed["steps"]] == ["act: change the image"]
    assert [a["name"] for a in failed["attachments"]][:1] == ["pod status"]
    environment = (allure_dir / "environment.properties").read_text().splitlines()
    assert "kubernetes_version=v1.31.0" in environment
    assert "container_runtime=unknown" in environment
    assert json.loads((allure_dir / "categories.json").read_text())


def test_run_writes_json_summary_with_verdicts_reasons_diagnosis_and_facts(
    fake_suite: pytest.Pytester,
) -> None:
    run(fake_suite, "--wc-report-dir", "out")
    summary = json.loads((fake_suite.path / "out" / "summary.json").read_text())
    assert summary["summary"] == SUMMARY_LINE
    assert summary["cluster"] == "fake-ctx"
    assert summary["facts"]["cni"] == "kindnet" and summary["facts"]["cgroup_version"] == "unknown"
    guarantees = {g["story"]: g for g in summary["guarantees"]}
    assert guarantees["test_lands_on_every_worker"]["verdict"] == "passed"
    assert (
        guarantees["test_lands_on_every_worker"]["guarantee"] == "A DaemonSet pod MUST land on each worker."
    )
    assert guarantees["test_lands_on_every_worker"]["steps"][0]["steps"][0]["title"] == "wait: 3/3 scheduled"
    skipped = guarantees["test_needs_storage"]
    assert (skipped["verdict"], skipped["reason"]) == ("skipped", "no default StorageClass")
    assert skipped["guarantee"] == "DaemonSet pods MUST run on every eligible node."  # the module's docstring
    failed = guarantees["test_rolls_in_reverse_order"]
    assert failed["verdict"] == "failed" and failed["phase"] == "call"
    assert "web-0 was updated before web-2" in failed["reason"]
    assert "assert 1 == 2" in failed["diagnosis"]["details"]
    attachments = {a["name"]: a["text"] for a in failed["diagnosis"]["attachments"]}
    assert attachments["pod status"] == "web-2 Pending: 0/3 nodes match nodeSelector"
    assert failed["steps"][0]["outcome"] == "failed"
    assert all(g["duration_s"] >= 0 for g in summary["guarantees"])


def test_run_writes_a_self_contained_html_report(fake_suite: pytest.Pytester) -> None:
    run(fake_suite, "--wc-report-dir", "out")
    page = (fake_suite.path / "out" / "report.html").read_text()
    assert '<table id="verdicts">' in page
    for verdict in ("passed", "failed", "skipped"):
        assert f'<td class="verdict {verdict}">{verdict}</td>' in page
    assert "no default StorageClass" in page and "kindnet" in page
    assert "<script" not in page and "http" not in page


def test_reports_go_under_reports_runs_by_default(fake_suite: pytest.Pytester) -> None:
    result = run(fake_suite)
    (run_dir,) = (fake_suite.path / "reports" / "runs").iterdir()
    assert sorted(path.name for path in run_dir.iterdir()) == [
        "allure-results",
        f"certification-{run_dir.name}.tar.gz",
        "junit.xml",
        "report.html",
        "summary.json",
    ]
    assert json.loads((run_dir / "summary.json").read_text())["run_id"] == run_dir.name
    result.stdout.fnmatch_lines([f"reports: reports/runs/{run_dir.name}/ (*)", SUMMARY_LINE])


def test_no_report_writes_nothing_but_still_prints_the_line(fake_suite: pytest.Pytester) -> None:
    result = run(fake_suite, "--wc-no-report")
    assert not (fake_suite.path / "reports").exists()
    assert SUMMARY_LINE in result.outlines


def test_facts_nobody_answers_are_unknown(fake_suite: pytest.Pytester) -> None:
    (fake_suite.path / "conftest.py").write_text("")
    run(fake_suite, "--wc-report-dir", "out")
    summary = json.loads((fake_suite.path / "out" / "summary.json").read_text())
    assert set(summary["facts"].values()) == {"unknown"}
    assert summary["cluster"] == "unknown"


def test_a_module_that_cannot_import_counts_as_failed(fake_suite: pytest.Pytester) -> None:
    Path(fake_suite.path / "conformance" / "test_broken.py").write_text("import no_such_module\n")
    result = run(fake_suite, "--wc-report-dir", "out")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    summary = json.loads((fake_suite.path / "out" / "summary.json").read_text())
    (broken,) = summary["guarantees"]
    assert broken["verdict"] == "failed" and broken["phase"] == "collect"
    assert "no_such_module" in broken["diagnosis"]["details"]
    assert summary["error"] == "interrupted"
    assert "0 passed, 1 failed, 0 skipped" in result.outlines


def test_the_certification_bundle_verifies_and_one_edited_byte_is_named(
    holding_suite: pytest.Pytester, tmp_path: Path
) -> None:
    run(holding_suite, "--wc-report-dir", "out", "-m", "not storage")
    (archive,) = (holding_suite.path / "out").glob("certification-*.tar.gz")
    with tarfile.open(archive) as bundle:
        names = set(bundle.getnames())
        suite = json.loads(bundle.extractfile("suite.json").read())
        facts = json.loads(bundle.extractfile("facts.json").read())
    assert {
        "summary.json",
        "junit.xml",
        "report.html",
        "facts.json",
        "suite.json",
        "MANIFEST.sha256",
    } <= names
    assert any(name.startswith("allure-results/") for name in names)
    assert suite["command"][-2:] == ["-m", "not storage"] and suite["version"] and suite["commit"]
    assert set(facts) >= {"kubernetes_version", "cni"}

    verified = subprocess.run(["wc-report", "verify", str(archive)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert (
        verified.stdout.splitlines()[-1]
        == "CONFORMANT: 1 of 1 selected guarantees hold; 2 left out by request"
    )

    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as original, tarfile.open(tampered, "w:gz") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read()
            if member.name == "report.html":
                data = data.replace(b"CONFORMANT", b"CONFORMANt", 1)
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    checked = subprocess.run(["wc-report", "verify", str(tampered)], capture_output=True, text=True)
    assert checked.returncode == 1
    assert checked.stdout.strip() == (
        "TAMPERED: report.html: changed since the run (SHA-256 differs from the manifest)"
    )
