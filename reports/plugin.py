"""The reports pytest plugin: builds the results model from pytest's hooks and writes every report.

Each run writes into reports/runs/<run-id>/ under the rootdir (or --wc-report-dir): junit.xml
(pytest's own --junitxml), allure-results/ (allure-pytest's own --alluredir, plus
environment.properties and categories.json), report.html and summary.json. Either --junitxml or
--alluredir given by hand wins over ours. The run ends with the line `N passed, N failed, N skipped`;
pytest's exit status is left alone.
"""

from __future__ import annotations

import inspect
import secrets
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from allure_commons.types import LabelType
from allure_pytest.utils import ALLURE_LABEL_MARK

from reports import allure_files, bundle, hookspecs, html, json_summary, leave_out
from reports.model import (
    FAILED,
    GUARANTEE_ROOT,
    NOT_VERIFIED,
    PASSED,
    SKIPPED,
    UNKNOWN,
    Attachment,
    Run,
    Step,
    TestResult,
    normalize_facts,
)
from reports.parity import report as parity_report
from reports.steps import StepRecorder, Steps, activate, deactivate, make_attachment

pytest_plugins = ["reports.parity.marker"]  # the upstream marker: registered and checked at collection

GROUP = "workload-conformance reports"
HELP_REPORT_DIR = "write this run's reports into DIR (default: reports/runs/<run-id> under the rootdir)"
HELP_NO_REPORT = "write no report files (the closing 'N passed, N failed, N skipped' line is still printed)"
HELP_LEAVE_OUT = (
    "leave guarantees out on purpose, saying why: SELECTOR=REASON, where SELECTOR is a node id prefix "
    "(holds '/' or '::', e.g. conformance/statefulset/test_max_unavailable.py) or a keyword matched exactly "
    "(a test, file or folder name, or a marker such as storage); reported as 'left out by request: "
    "REASON', never as holding; repeatable"
)

EPIC_MARKERS = ("daemonset", "statefulset", "dns", "network", "storage")  # else: first marker a test carries
SUITE_ROOTS = ("conformance", "tests")  # the folder below one of these is a test's epic
JUNIT_FILE = "junit.xml"
ALLURE_DIR = "allure-results"
WORKER_ALLURE_DIR = "wc_allure_dir"  # key in xdist's workerinput
INFO_ONLY = ("help", "collectonly", "showfixtures", "show_fixtures_per_test", "markers")

RUN_ERRORS = {
    pytest.ExitCode.INTERRUPTED.value: "interrupted",
    pytest.ExitCode.INTERNAL_ERROR.value: "pytest internal error",
    pytest.ExitCode.USAGE_ERROR.value: "pytest usage error",
    pytest.ExitCode.NO_TESTS_COLLECTED.value: "no tests collected",
}

recorder_key = pytest.StashKey[StepRecorder]()
leave_out_key = pytest.StashKey[list[leave_out.LeaveOut]]()
left_out_reason_key = pytest.StashKey[str]()  # on an item --wc-leave-out deselected: the user's reason
# Guarantees deselected in this process (-m, -k, --wc-leave-out): node id -> the user's reason ("" for -m,
# -k). An xdist worker sends its own to the controller on its first test report (LEFT_OUT_ATTRIBUTE).
left_out_key = pytest.StashKey[dict[str, str]]()
_left_out_sent_key = pytest.StashKey[bool]()
LEFT_OUT_ATTRIBUTE = "wc_left_out"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP)
    group.addoption("--wc-report-dir", type=Path, default=None, metavar="DIR", help=HELP_REPORT_DIR)
    group.addoption("--wc-no-report", action="store_true", help=HELP_NO_REPORT)
    group.addoption(
        leave_out.OPTION, action="append", default=[], metavar="SELECTOR=REASON", help=HELP_LEAVE_OUT
    )


OPTIONAL_MARKER = "optional"
OPTIONAL_HELP = (
    f"{OPTIONAL_MARKER}(reason): a guarantee outside the conformance verdict (it needs an alpha feature "
    "gate, say); judged and shown, never counted"
)


@pytest.hookimpl(tryfirst=True)  # before junitxml and allure-pytest read the options set here
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", OPTIONAL_HELP)
    try:
        config.stash[leave_out_key] = [leave_out.parse(text) for text in config.getoption(leave_out.OPTION)]
    except leave_out.LeaveOutError as err:
        raise pytest.UsageError(str(err)) from None
    recorder = StepRecorder()
    activate(recorder)
    config.add_cleanup(lambda: deactivate(recorder))
    config.stash[recorder_key] = recorder

    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: it only records; the controller reports
        if workerinput.get(WORKER_ALLURE_DIR) and not config.option.allure_report_dir:
            config.option.allure_report_dir = workerinput[WORKER_ALLURE_DIR]
            config.option.clean_alluredir = False
        return
    if any(getattr(config.option, name, False) for name in INFO_ONLY):
        return
    run_id = datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    run_dir: Path | None = None
    allure_dir: Path | None = None
    if not config.getoption("--wc-no-report"):
        chosen = config.getoption("--wc-report-dir")
        run_dir = (
            config.invocation_params.dir / chosen if chosen else config.rootpath / "reports" / "runs" / run_id
        )
        allure_dir = _route_junit_and_allure(config, run_dir)
    config.pluginmanager.register(RunReporter(config, run_id, run_dir, allure_dir), "wc_reports")


def _route_junit_and_allure(config: pytest.Config, run_dir: Path) -> Path:
    """Point --junitxml and --alluredir into the run folder unless given; returns the allure folder."""
    if not config.option.xmlpath:
        config.option.xmlpath = str(run_dir / JUNIT_FILE)
    if config.option.allure_report_dir:
        return Path(config.option.allure_report_dir)
    allure_dir = run_dir / ALLURE_DIR
    config.option.allure_report_dir = str(allure_dir)
    config.option.clean_alluredir = True  # ours alone: no results of an earlier run into this one
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistNodes(allure_dir), "wc_reports_xdist")
    return allure_dir


@pytest.hookimpl(tryfirst=True)  # before allure-pytest (--allure-epics), -m and -k select tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test the Allure labels epic, feature and story it has not been given by hand; then
    deselect what --wc-leave-out names, with its reason."""
    for item in items:
        described = describe(item)
        given = {mark.kwargs.get("label_type") for mark in item.iter_markers(ALLURE_LABEL_MARK)}
        for label_type in (LabelType.EPIC, LabelType.FEATURE, LabelType.STORY):
            if label_type not in given:
                item.add_marker(
                    getattr(pytest.mark, ALLURE_LABEL_MARK)(described[label_type], label_type=label_type)
                )
    _leave_out(config, items)


def _keywords(item: pytest.Item) -> set[str]:
    """What a --wc-leave-out keyword is matched against: the test's name, its file name (with and without
    .py), its folder names and its markers."""
    names = {node.name for node in item.listchain()[1:]}  # not the session: it is named after the rootdir
    names |= {name.removesuffix(".py") for name in names}
    names.add(getattr(item, "originalname", item.name))
    return names | {mark.name for mark in item.iter_markers()}


def _leave_out(config: pytest.Config, items: list[pytest.Item]) -> None:
    entries = config.stash.get(leave_out_key, [])
    if not entries:
        return
    chosen, unmatched = leave_out.assign(entries, ((item.nodeid, _keywords(item)) for item in items))
    if unmatched:
        message = str(leave_out.unmatched_error(unmatched[0]))
        if items and hasattr(config, "workerinput"):  # xdist turns a worker's usage error into a crash
            items[0].session.shouldstop = message
            items[:] = []
            return
        raise pytest.UsageError(message)
    left = [item for item in items if item.nodeid in chosen]
    for item in left:
        item.stash[left_out_reason_key] = chosen[item.nodeid].reason
    items[:] = [item for item in items if item.nodeid not in chosen]
    config.hook.pytest_deselected(items=left)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Put the test's labels, steps and attachments on its report (reports travel across xdist)."""
    report = yield
    recorder = item.config.stash.get(recorder_key, None)
    steps, attachments = recorder.take() if recorder else ([], [])
    report.wc_meta = describe(item)
    error = call.excinfo.value if call.excinfo is not None else None
    # the cluster's state stopped the check: its reason, without the exception's name
    report.wc_not_verified = str(error) if getattr(error, "verdict", None) == NOT_VERIFIED else ""
    report.wc_steps = [step.as_dict() for step in steps]
    report.wc_attachments = [attachment.as_dict() for attachment in attachments]
    config = item.config
    if hasattr(config, "workerinput") and not config.stash.get(_left_out_sent_key, False):
        setattr(report, LEFT_OUT_ATTRIBUTE, config.stash.get(left_out_key, {}))
        config.stash[_left_out_sent_key] = True
    return report


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Guarantees the user left out (-m, -k, --wc-leave-out): listed as such, never counted as holding."""
    for item in items:
        if GUARANTEE_ROOT in PurePosixPath(item.nodeid.split("::", 1)[0]).parts[:-1]:
            left_out = item.config.stash.setdefault(left_out_key, {})
            left_out[item.nodeid] = item.stash.get(left_out_reason_key, "")


def _first_line(text: str | None) -> str:
    return inspect.cleandoc(text).splitlines()[0].strip() if text and text.strip() else ""


def epic_of_path(path: str) -> str:
    """The folder below conformance/ (or tests/), else the top folder, of a test file."""
    folders = PurePosixPath(path).parts[:-1]
    if len(folders) >= 2 and folders[0] in SUITE_ROOTS:
        return folders[1]
    return folders[0] if folders else "ungrouped"


def _area(path: str, marked: list[str]) -> str:
    """A guarantee's area is its folder under conformance/ (conformance/dns/... is DNS, whatever other
    markers it carries); elsewhere the first area marker, else the folder."""
    folders = PurePosixPath(path).parts[:-1]
    if GUARANTEE_ROOT in folders[:-1]:
        return folders[len(folders) - 1 - folders[::-1].index(GUARANTEE_ROOT) + 1]
    return marked[0] if marked else epic_of_path(path)


def describe(item: pytest.Item) -> dict[str, str]:
    """The guarantee a test checks: its label, description, Allure epic, feature and story, and why it is
    optional (outside the verdict), if it is."""
    function = getattr(item, "function", None)
    module = getattr(item, "module", None)
    path = item.nodeid.split("::")[0]
    given = {
        mark.kwargs.get("label_type"): mark.args[0]
        for mark in item.iter_markers(ALLURE_LABEL_MARK)
        if mark.args
    }
    marked = [name for name in EPIC_MARKERS if item.get_closest_marker(name)]
    test_doc = inspect.getdoc(function) if function is not None else None
    module_doc = module.__doc__ if module is not None else None
    module_name = module.__name__.rpartition(".")[2] if module is not None else PurePosixPath(path).stem
    return {
        "guarantee": _first_line(test_doc) or _first_line(module_doc) or item.name,
        "description": test_doc or "",
        LabelType.EPIC: str(given.get(LabelType.EPIC) or _area(path, marked)),
        LabelType.FEATURE: str(given.get(LabelType.FEATURE) or module_name),
        LabelType.STORY: str(given.get(LabelType.STORY) or getattr(item, "originalname", item.name)),
        OPTIONAL_MARKER: _optional_reason(item),
    }


def _optional_reason(item: pytest.Item) -> str:
    """Why the guarantee is outside the verdict (its optional marker's reason), or "" when it counts."""
    mark = item.get_closest_marker(OPTIONAL_MARKER)
    if mark is None:
        return ""
    return str(mark.args[0] if mark.args else mark.kwargs.get("reason") or "optional")


def _failure_message(report: pytest.TestReport | pytest.CollectReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return str(crash.message)
    lines = report.longreprtext.strip().splitlines()
    return lines[-1] if lines else "failed"


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    if hasattr(report, "wasxfail"):
        return f"expected failure: {report.wasxfail}" if report.wasxfail else "expected failure"
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return report.longreprtext.strip() or "skipped"


@dataclass
class _Pending:
    """A test's result while its phases come in."""

    meta: dict[str, str]
    start: float
    end: float
    outcome: str = PASSED
    phase: str | None = None
    reason: str | None = None
    error: str | None = None
    steps: list[Step] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    not_verified: bool = False

    def result(self, nodeid: str) -> TestResult:
        return TestResult(
            nodeid=nodeid,
            guarantee=self.meta["guarantee"],
            epic=self.meta[LabelType.EPIC],
            feature=self.meta[LabelType.FEATURE],
            story=self.meta[LabelType.STORY],
            start=self.start,
            end=self.end,
            outcome=self.outcome,
            phase=self.phase,
            reason=self.reason,
            error=self.error,
            description=self.meta.get("description", ""),
            steps=self.steps,
            attachments=self.attachments,
            not_verified=self.not_verified,
            optional=self.meta.get(OPTIONAL_MARKER, ""),
        )


def _meta_of_nodeid(nodeid: str) -> dict[str, str]:
    path = nodeid.split("::")[0]
    name = nodeid.rpartition("::")[2] if "::" in nodeid else path
    return {
        "guarantee": name,
        LabelType.EPIC: epic_of_path(path),
        LabelType.FEATURE: PurePosixPath(path).stem,
        LabelType.STORY: name,
    }


class _XdistNodes:
    """Tells xdist workers where allure-pytest writes, so all results land in this run's folder."""

    def __init__(self, allure_dir: Path) -> None:
        self.allure_dir = allure_dir

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_ALLURE_DIR] = str(self.allure_dir)


class RunReporter:
    """Collects the phases of every test into the model and, at the end, writes the reports."""

    def __init__(
        self, config: pytest.Config, run_id: str, run_dir: Path | None, allure_dir: Path | None
    ) -> None:
        self.config = config
        self.run_id = run_id
        self.run_dir = run_dir
        self.allure_dir = allure_dir
        self.start = time.time()
        self.pending: dict[str, _Pending] = {}
        self.left_out_by_workers: dict[str, str] = {}

    def pytest_report_header(self) -> str:
        return f"reports: {self._shown(self.run_dir)}" if self.run_dir else "reports: none (--wc-no-report)"

    def pytest_sessionstart(self) -> None:
        self.start = time.time()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A module that failed to import (or skipped itself whole) counts as one result."""
        if report.passed:
            return
        now = time.time()
        pending = _Pending(_meta_of_nodeid(report.nodeid), now, now, phase="collect")
        if report.failed:
            pending.outcome, pending.reason, pending.error = (
                FAILED,
                _failure_message(report),
                report.longreprtext,
            )
        else:
            pending.outcome, pending.reason = SKIPPED, _skip_reason(report)
        self.pending[report.nodeid] = pending

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.left_out_by_workers.update(getattr(report, LEFT_OUT_ATTRIBUTE, None) or {})
        pending = self.pending.get(report.nodeid)
        if pending is None:
            meta = getattr(report, "wc_meta", None) or _meta_of_nodeid(report.nodeid)
            pending = self.pending[report.nodeid] = _Pending(meta, report.start, report.stop)
        pending.start, pending.end = min(pending.start, report.start), max(pending.end, report.stop)
        pending.steps += [Step.from_dict(step) for step in getattr(report, "wc_steps", [])]
        pending.attachments += [Attachment.from_dict(a) for a in getattr(report, "wc_attachments", [])]
        if report.failed:
            if pending.outcome == FAILED:  # a teardown failing after the test itself failed
                pending.error = f"{pending.error}\n\n--- {report.when} failed too ---\n{report.longreprtext}"
            else:
                pending.outcome, pending.phase = FAILED, report.when
                pending.reason, pending.error = _failure_message(report), report.longreprtext
                if not_verified := getattr(report, "wc_not_verified", ""):
                    pending.not_verified, pending.reason = True, not_verified
            for title, content in report.sections:
                pending.attachments.append(make_attachment(content, title, "text/plain"))
        elif report.skipped and pending.outcome == PASSED:
            pending.outcome, pending.phase, pending.reason = SKIPPED, report.when, _skip_reason(report)

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: pytest's own summary is printed before ours
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Generator[None, Any, Any]:
        outcome = yield
        run = self.finish(int(session.exitstatus))
        if self.run_dir is not None:
            try:
                self.write(run, self.run_dir)
            except OSError as err:
                self.say(f"reports: could not write into {self.run_dir}: {err}")
        verdict = run.verdict
        for nodeid in verdict.left_out_reasons if verdict else ():
            self.say(f"{nodeid}: {verdict.left_out_text(nodeid)}")
        self.say(run.summary_line())
        if verdict is not None:
            self.say(verdict.line)
            if not verdict.conformant and session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED  # exit 0 only for CONFORMANT
            elif verdict.conformant and session.exitstatus == pytest.ExitCode.TESTS_FAILED:
                session.exitstatus = pytest.ExitCode.OK  # what failed is optional, outside the verdict
        return outcome

    def facts(self) -> dict[str, str]:
        try:
            answer = self.config.hook.pytest_wc_cluster_facts(config=self.config)
        except Exception as err:  # a broken facts provider must not cost the run its reports
            return normalize_facts({"facts_error": f"{type(err).__name__}: {err}"})
        return normalize_facts(answer if isinstance(answer, dict) else None)

    def finish(self, exit_status: int) -> Run:
        facts = self.facts()
        # the context the run was pointed at, else what the facts provider calls the cluster
        cluster = self.config.getoption("--wc-context", None) or facts.get("cluster") or UNKNOWN
        left_out = {**self.config.stash.get(left_out_key, {}), **self.left_out_by_workers}
        return Run(
            run_id=self.run_id,
            cluster=str(cluster),
            start=self.start,
            end=time.time(),
            facts=facts,
            results=[pending.result(nodeid) for nodeid, pending in self.pending.items()],
            exit_status=exit_status,
            error=RUN_ERRORS.get(exit_status),
            left_out=list(left_out),
            left_out_reasons={nodeid: reason for nodeid, reason in left_out.items() if reason},
        )

    def write(self, run: Run, run_dir: Path) -> None:
        html.write(run, run_dir / html.FILE_NAME, parity_report.sections_for(run))
        json_summary.write(run, run_dir / json_summary.FILE_NAME)
        if self.allure_dir is not None:
            allure_files.write(run.facts, self.allure_dir)
        command = [*self.config.invocation_params.args]
        bundle.write(run, run_dir, command=command, source=Path(__file__).resolve().parent.parent)
        files = sorted(path.name + ("/" if path.is_dir() else "") for path in run_dir.iterdir())
        self.say(f"reports: {self._shown(run_dir)}/ ({', '.join(files)})")

    def say(self, line: str) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(line)
        else:
            print(line, flush=True)

    def _shown(self, path: Path | None) -> str:
        """A path relative to where pytest was started, when it is below it."""
        if path is None:
            return ""
        try:
            return str(path.relative_to(self.config.invocation_params.dir))
        except ValueError:
            return str(path)


@pytest.fixture
def step() -> Steps:
    """Name a test's steps: ``with step("act: scale web to 5"):``; ``step.attach(text, "events")``."""
    return Steps()
