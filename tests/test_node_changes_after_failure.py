"""Node changes MUST be undone however the run that made them ends: a failing test, an interrupted run
(SIGINT, SIGTERM), or a run killed with SIGKILL - by the next run, before its first test on the cluster,
or by ``wc-cluster cleanup``.

Each case runs its own pytest (or Python) process against this cluster and reads the node through the
API once that process is gone.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from clusters.kube.node_markers import Node, Owner, find_taint, node_marker, read_node
from clusters.kube.waits import Aborted, NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.node_changes import repair

pytestmark = pytest.mark.disruptive

INNER_TESTS = """
import os
from pathlib import Path

from clusters.kube.waits import NotYet, Probe, wait_for

NODE, KEY = os.environ["WC_INNER_NODE"], os.environ["WC_INNER_KEY"]


def test_taints_then_fails(node_changes):
    node_changes.taint(NODE, KEY, "x")
    assert False, "fails on purpose, after tainting"


def test_taints_then_blocks(node_changes):
    node_changes.taint(NODE, KEY, "x")
    never = Path(os.environ["WC_INNER_NEVER"])

    def appeared():
        if not never.exists():
            raise NotYet(f"{never} does not exist")

    wait_for(Probe(appeared, "a file that never appears", timeout=120))


def test_uses_the_cluster(wc_cluster):
    pass
"""

KILLED_RUN = """
import os, signal, sys
from kubernetes import client, config
from fixtures.resources.node_changes import NodeChanges

kubeconfig, context, node, key = sys.argv[1:5]
api = config.new_client_from_config(config_file=kubeconfig, context=context or None)
changes = NodeChanges(client.CoreV1Api(api), test="killed run")
changes.taint(node, key, "x")
changes.label(node, key, "x")
os.kill(os.getpid(), signal.SIGKILL)
"""

#: Seconds an inner run may take (it connects, checks the cluster, runs one test, undoes).
INNER_TIMEOUT = 180


def a_worker(wc_cluster: ClusterUnderTest) -> str:
    for node in wc_cluster.core.list_node().items:
        labels = node.metadata.labels or {}
        if "node-role.kubernetes.io/control-plane" not in labels and not node.spec.unschedulable:
            return node.metadata.name
    pytest.skip("needs a schedulable worker node")


def cluster_args(wc_cluster: ClusterUnderTest) -> list[str]:
    context = ["--context", wc_cluster.context] if wc_cluster.context else []
    return ["--kubeconfig", str(wc_cluster.kubeconfig), *context]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without xdist's worker variables (the inner run is not a worker)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS"))}
    return {**env, **extra}


def taint_problem(node: Node, key: str) -> str | None:
    """Why the node does not show the inner run's changes as undone, or None."""
    if find_taint(node, key, "NoSchedule"):
        return f"taint {key}:NoSchedule still there"
    if key in (node["metadata"].get("labels") or {}):
        return f"label {key} still there"
    left = [run for run, record in node_marker(node).items() if key in str(record.changes)]
    return f"marker still records run(s) {left}" if left else None


@pytest.fixture
def inner(tmp_path: Path, wc_cluster: ClusterUnderTest) -> Iterator[dict[str, str]]:
    """Where an inner run works: its test file, its node and taint key; afterwards anything an inner
    run left on the nodes is undone, so that a failure here does not leak into later tests."""
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    yield {
        "dir": str(tmp_path),
        "node": a_worker(wc_cluster),
        "key": f"inner-{uuid.uuid4().hex[:6]}.wc-test.workload-conformance.io/probe",
        "never": str(tmp_path / "never-created"),
    }
    repair(wc_cluster.core, keep=Owner.alive)


def inner_pytest(wc_cluster: ClusterUnderTest, test: str) -> list[str]:
    """The command line of an inner run of one test of INNER_TESTS on this cluster."""
    context = ["--wc-context", wc_cluster.context] if wc_cluster.context else []
    return [
        *(sys.executable, "-m", "pytest", f"test_inner.py::{test}", "-q", "-p", "no:cacheprovider"),
        *("--wc-no-report", "--wc-provider", "existing", "--wc-kubeconfig", str(wc_cluster.kubeconfig)),
        *context,
    ]


def inner_env(inner: dict[str, str]) -> dict[str, str]:
    return clean_env(WC_INNER_NODE=inner["node"], WC_INNER_KEY=inner["key"], WC_INNER_NEVER=inner["never"])


def run_inner(wc_cluster: ClusterUnderTest, inner: dict[str, str], test: str) -> subprocess.CompletedProcess:
    """Run one of the inner tests to its end."""
    return subprocess.run(
        inner_pytest(wc_cluster, test),
        cwd=inner["dir"],
        env=inner_env(inner),
        capture_output=True,
        text=True,
        timeout=INNER_TIMEOUT,
    )


def test_changes_of_a_failed_test_are_undone(wc_cluster: ClusterUnderTest, inner: dict[str, str]) -> None:
    run = run_inner(wc_cluster, inner, "test_taints_then_fails")
    output = run.stdout + run.stderr
    assert run.returncode == 1 and "1 failed" in output, f"inner run exit {run.returncode}:\n{output}"
    assert "fails on purpose, after tainting" in output
    problem = taint_problem(read_node(wc_cluster.core, inner["node"]), inner["key"])
    assert problem is None, f"v1 Node {inner['node']} after the failed inner run: {problem}\n{output}"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_changes_of_an_interrupted_run_are_undone(
    wc_cluster: ClusterUnderTest, inner: dict[str, str], tmp_path: Path, signum: signal.Signals
) -> None:
    log = tmp_path / "inner.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            inner_pytest(wc_cluster, "test_taints_then_blocks"),
            cwd=inner["dir"],
            env=inner_env(inner),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:

        def tainted() -> None:
            if process.poll() is not None:
                raise Aborted(f"inner run exited {process.returncode} before tainting:\n{log.read_text()}")
            node = read_node(wc_cluster.core, inner["node"])
            if find_taint(node, inner["key"], "NoSchedule") is None:
                raise NotYet(f"no taint {inner['key']} yet")

        wait_for(
            Probe(tainted, f"taint {inner['key']} from the inner run", timeout=INNER_TIMEOUT, interval=0.5)
        )
        process.send_signal(signum)
        returncode = process.wait(timeout=INNER_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert returncode == pytest.ExitCode.INTERRUPTED, f"inner run exit {returncode}:\n{output}"
    problem = taint_problem(read_node(wc_cluster.core, inner["node"]), inner["key"])
    assert problem is None, f"v1 Node {inner['node']} after {signum.name}: {problem}\n{output}"


def leave_changes_behind(wc_cluster: ClusterUnderTest, node: str, key: str) -> None:
    """Taint and label the node from a process that is then killed with SIGKILL (so undoes nothing)."""
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(wc_cluster.kubeconfig), wc_cluster.context or "", node, key],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=INNER_TIMEOUT,
    )
    assert killed.returncode == -signal.SIGKILL, f"exit {killed.returncode}: {killed.stderr}"
    left = read_node(wc_cluster.core, node)
    assert taint_problem(left, key) is not None, "the killed run left nothing behind"
    owners = [record.owner for record in node_marker(left).values() if record.owner.test == "killed run"]
    assert owners and not owners[0].alive()


def test_the_next_run_undoes_the_changes_of_a_killed_run_first(
    wc_cluster: ClusterUnderTest, inner: dict[str, str]
) -> None:
    node, key = inner["node"], inner["key"]
    leave_changes_behind(wc_cluster, node, key)
    run = run_inner(wc_cluster, inner, "test_uses_the_cluster")
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"inner run exit {run.returncode}:\n{output}"
    assert "node change(s) left by earlier runs:" in output, output
    assert f"node {node}: removed taint {key}=x:NoSchedule (left by run" in output, output
    problem = taint_problem(read_node(wc_cluster.core, node), key)
    assert problem is None, f"v1 Node {node} after the next run started: {problem}\n{output}"


def test_cleanup_undoes_the_changes_of_a_killed_run(
    wc_cluster: ClusterUnderTest, inner: dict[str, str]
) -> None:
    node, key = inner["node"], inner["key"]
    leave_changes_behind(wc_cluster, node, key)
    # --keep-namespaces: the namespaces on the cluster now belong to tests still running (other xdist
    # workers, other sessions), or were kept for inspection. Deleting them is unit-tested.
    cleanup = subprocess.run(
        [sys.executable, "-m", "clusters.cli", "cleanup", *cluster_args(wc_cluster), "--keep-namespaces"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=INNER_TIMEOUT,
    )
    output = cleanup.stdout + cleanup.stderr
    assert cleanup.returncode == 0, f"wc-cluster cleanup exit {cleanup.returncode}:\n{output}"
    assert f"node {node}: removed label {key}" in output
    assert f"node {node}: removed taint {key}=x:NoSchedule" in output
    assert re.search(r"^cleanup: \d+ node change\(s\) undone, 0 namespace\(s\) deleted$", output, re.M), (
        output
    )
    problem = taint_problem(read_node(wc_cluster.core, node), key)
    assert problem is None, f"v1 Node {node} after wc-cluster cleanup: {problem}\n{output}"
