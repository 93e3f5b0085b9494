"""A test that uses ``node_changes`` MUST be marked disruptive, and under pytest-xdist no two disruptive
tests MAY run at the same time, whatever the --dist mode.

A fake suite runs in a pytest subprocess; it needs no cluster (no test in it sets up a cluster fixture).
Its disruptive tests each take a while and log when they start and end; the intervals must not overlap.
"""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

FAKE_TESTS = """
import json
import os
import time

import pytest


def log(kind, n, start):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    line = {"kind": kind, "n": n, "start": start, "end": time.time(), "worker": worker}
    with open("intervals.jsonl", "a") as out:
        out.write(json.dumps(line) + "\\n")


@pytest.mark.disruptive
@pytest.mark.parametrize("n", range(4))
def test_disruptive(n):
    start = time.time()
    time.sleep(0.4)  # long enough for two unserialised tests to overlap
    log("disruptive", n, start)


@pytest.mark.parametrize("n", range(4))
def test_plain(n):
    start = time.time()
    time.sleep(0.2)
    log("plain", n, start)


def test_uses_node_changes(node_changes):
    pass
"""


@pytest.fixture
def fake_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_fake=FAKE_TESTS)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wc-no-report", *args)


def overlaps(pytester: pytest.Pytester, kind: str) -> list[str]:
    """Pairs of tests of this kind that ran at the same time."""
    lines = [json.loads(line) for line in (pytester.path / "intervals.jsonl").read_text().splitlines()]
    runs = sorted((line for line in lines if line["kind"] == kind), key=lambda line: line["start"])
    assert len(runs) == 4, lines
    return [
        f"{a['kind']}[{a['n']}] on {a['worker']} ended {a['end']:.2f} after [{b['n']}] on {b['worker']} "
        f"started {b['start']:.2f}"
        for a, b in zip(runs, runs[1:], strict=False)
        if a["end"] > b["start"]
    ]


def test_a_test_using_node_changes_is_marked_disruptive(fake_suite: pytest.Pytester) -> None:
    result = run(fake_suite, "--collect-only", "-q", "-m", "disruptive")
    collected = sorted(line for line in result.outlines if line.startswith("test_fake.py::"))
    assert collected == [
        *(f"test_fake.py::test_disruptive[{n}]" for n in range(4)),
        "test_fake.py::test_uses_node_changes",
    ], result.stdout.str()


@pytest.mark.parametrize(
    ("dist", "header"),
    [
        ([], "disruptive tests: one at a time, grouped (--dist switched to loadgroup)"),
        (["--dist", "load"], "disruptive tests: one at a time, not grouped with --dist load*"),
        (["--dist", "worksteal"], "disruptive tests: one at a time, not grouped with --dist worksteal*"),
    ],
    ids=["default", "load", "worksteal"],
)
def test_under_xdist_disruptive_tests_never_overlap(
    fake_suite: pytest.Pytester, dist: list[str], header: str
) -> None:
    result = run(fake_suite, "-n", "2", *dist, "-k", "not node_changes")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines([header])
    assert overlaps(fake_suite, "disruptive") == []


CLUSTER_STANDIN = """
import pytest


@pytest.fixture
def wc_cluster():
    return None  # stands in for the cluster: the plain tests below count as using it


@pytest.fixture(scope="session")
def node_safety_net():
    return None  # nothing to repair on a stand-in cluster
"""


def intervals_with_plain_tests_on_the_cluster(fake_suite: pytest.Pytester) -> list[dict]:
    """Run the fake suite on two workers with its plain tests using the (stand-in) cluster; the logged
    intervals of its tests."""
    fake_suite.makeconftest(CLUSTER_STANDIN)
    fake_suite.makepyfile(
        test_fake=FAKE_TESTS.replace("def test_plain(n):", "def test_plain(n, wc_cluster):")
    )
    result = run(fake_suite, "-n", "2", "-k", "not node_changes")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    return [json.loads(line) for line in (fake_suite.path / "intervals.jsonl").read_text().splitlines()]


def test_under_xdist_no_cluster_test_runs_beside_a_disruptive_one(fake_suite: pytest.Pytester) -> None:
    """A NoExecute taint would evict other tests' pods: while a disruptive test runs, it has the cluster
    to itself, and tests that use the cluster but change no node run beside each other."""
    lines = intervals_with_plain_tests_on_the_cluster(fake_suite)
    disruptive = [line for line in lines if line["kind"] == "disruptive"]
    plain = [line for line in lines if line["kind"] == "plain"]
    clashes = [
        f"plain[{p['n']}] on {p['worker']} overlapped disruptive[{d['n']}] on {d['worker']}"
        for d in disruptive
        for p in plain
        if p["start"] < d["end"] and d["start"] < p["end"]
    ]
    assert clashes == []


def test_under_xdist_the_disruptive_tests_run_as_one_block_on_one_worker(fake_suite: pytest.Pytester) -> None:
    """Each disruptive test waits until the tests beside it are done: spread over the workers they would
    drain the cluster once each, so by default they go to one worker, one after another, and no test that
    uses the cluster starts between the first of them and the last."""
    lines = intervals_with_plain_tests_on_the_cluster(fake_suite)
    disruptive = [line for line in lines if line["kind"] == "disruptive"]
    assert len(disruptive) == 4 and len({d["worker"] for d in disruptive}) == 1, disruptive
    block_start, block_end = min(d["start"] for d in disruptive), max(d["end"] for d in disruptive)
    inside = [p for p in lines if p["kind"] == "plain" and block_start < p["end"] and p["start"] < block_end]
    assert inside == [], f"plain tests ran within the block {block_start:.2f}-{block_end:.2f}: {inside}"
