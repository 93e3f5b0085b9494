"""The guarantees about joining nodes run on a cluster reached as an existing one (--wc-provider existing),
with the node providers such a cluster offers, for real on this run's kind cluster:

- ``command``: ``wc-cluster add-node`` and ``remove-node`` as the user's add and remove commands;
- ``autoscaler``: a stand-in autoscaler (tests/stand_ins/autoscaler.py) that joins a kind worker while
  pods wait for room and removes it once it runs only DaemonSet pods;
- ``command`` again, with an add command that first restarts kube-controller-manager without its
  daemonset-controller (tests/stand_ins/kind_nodes.py; the remove command restores it): autoscale coverage
  is broken, naming the node that joined. (The joined node also never becomes Ready: its CNI is a
  DaemonSet too.)

At most one node is joined at a time, and every node joined is removed, also when a case fails. Bad
provider input is not verified in one line, without a node: no provider at all, an add command that
exits non-zero, an add command after which no node appears."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from test_guarantees_fail_on_broken_clusters import broken_as, run_guarantee

from clusters.cluster import Cluster
from fixtures.facts.cluster_under_test import ClusterUnderTest

T = TypeVar("T", bound=Callable[..., object])

COVERAGE = "conformance/daemonset/test_autoscale_coverage.py"
NETWORK = "conformance/network/test_joined_node_joins_the_pod_network.py"
STAND_INS = Path(__file__).resolve().parent / "stand_ins"
PYTHON = shlex.quote(sys.executable)


def adds_a_node(test: T) -> T:
    """Joins a node to the shared cluster: disruptive, one at a time with other node adders, slow."""
    for mark in (pytest.mark.disruptive, pytest.mark.adds_nodes, pytest.mark.slow):
        test = mark(test)
    return test


def kind_of(wc_cluster: ClusterUnderTest) -> Cluster:
    if wc_cluster.kind is None:
        pytest.skip("needs a kind cluster brought up by this suite to join nodes to")
    return wc_cluster.kind


def node_names(wc_cluster: ClusterUnderTest) -> set[str]:
    return {n.metadata.name for n in wc_cluster.core.list_node().items}


def commands(add: str, remove: str) -> list[str]:
    return ["--wc-node-provider", "command", "--wc-node-add-command", add, "--wc-node-remove-command", remove]


def held(result: subprocess.CompletedProcess, passed: int) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f"{passed} passed, 0 failed, 0 skipped" in output, output[-3000:]
    return output


@adds_a_node
def test_joining_guarantees_hold_with_the_command_provider(wc_cluster: ClusterUnderTest) -> None:
    """wc-cluster's add-node and remove-node as the commands: both guarantees hold, the node is gone."""
    kind = kind_of(wc_cluster)
    before = node_names(wc_cluster)
    cli = f"{PYTHON} -m clusters.cli"
    provider = commands(
        f"{cli} add-node --name {kind.name}", f"{cli} remove-node --name {kind.name} {{node}}"
    )
    held(run_guarantee(wc_cluster, COVERAGE, timeout_scale=1, extra=[NETWORK, *provider]), passed=2)
    assert node_names(wc_cluster) == before


@pytest.fixture
def stand_in_autoscaler(wc_cluster: ClusterUnderTest, tmp_path: Path) -> Iterator[Path]:
    """The stand-in autoscaler running for the test; stopped after it (removing any node it added), its
    log printed."""
    log = tmp_path / "autoscaler.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(STAND_INS / "autoscaler.py"), "--name", kind_of(wc_cluster).name],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=300)
        print(log.read_text())


@adds_a_node
def test_autoscale_coverage_holds_with_the_autoscaler_provider(
    wc_cluster: ClusterUnderTest, stand_in_autoscaler: Path
) -> None:
    """Pressure pods make the stand-in add a node; deleting them makes it remove the node, which the
    guarantee sees go (its leaving verified, not left to the stand-in's exit). Autoscale coverage only:
    the joined-node network guarantee reaches its node through the same provider interface, shown with
    the command provider above, and a second node join here cost about two minutes of a CI run."""
    before = node_names(wc_cluster)
    provider = ["--wc-node-provider", "autoscaler", "--wc-node-timeout", "300"]
    held(run_guarantee(wc_cluster, COVERAGE, timeout_scale=1, extra=provider), passed=1)
    log = stand_in_autoscaler.read_text()
    assert log.count(": adding a node") == 1 and log.count("runs only DaemonSet pods") == 1, log
    assert node_names(wc_cluster) == before


@adds_a_node
def test_autoscale_coverage_is_broken_naming_the_joined_node_when_the_daemonset_controller_is_off(
    wc_cluster: ClusterUnderTest,
) -> None:
    """The add command turns the DaemonSet controller off, then joins a node: the guarantee is broken,
    naming that node as without its pod; the remove command removes it and turns the controller back on."""
    kind = kind_of(wc_cluster)
    before = node_names(wc_cluster)
    script = f"{PYTHON} {shlex.quote(str(STAND_INS / 'kind_nodes.py'))}"
    provider = commands(
        f"{script} add --name {kind.name} --without daemonset-controller",
        f"{script} remove --name {kind.name} --restore {{node}}",
    )
    result = run_guarantee(wc_cluster, COVERAGE, extra=provider)
    found = broken_as(
        result,
        r"timed out after [\d.]+s waiting for apps/v1 DaemonSet \S+/agent: a Ready pod on (?P<node>\S+); "
        r"last seen: (?P=node): no pod",
    )
    assert found["node"] not in before, f"{found['node']} was there before the add command ran"
    assert node_names(wc_cluster) == before


@pytest.mark.parametrize(
    ("provider", "reason"),
    [
        (
            [],
            r"no way to add and remove a node: this cluster was not brought up by this suite with kind, and "
            r"no --wc-node-provider was given; pass --wc-node-provider command --wc-node-add-command CMD "
            r"--wc-node-remove-command CMD",
        ),
        (
            commands("echo no quota left in group workers >&2; exit 3", "true"),
            r"--wc-node-add-command 'echo no quota left in group workers >&2; exit 3' exited 3: "
            r"no quota left in group workers",
        ),
        (
            [*commands("true", "true"), "--wc-node-timeout", "2"],
            r"no new Node within 2 s after --wc-node-add-command ran",
        ),
    ],
    ids=["no-provider", "add-command-fails", "no-node-appears"],
)
def test_a_joining_guarantee_without_a_node_to_add_is_not_verified_in_one_line(
    wc_cluster: ClusterUnderTest, provider: list[str], reason: str
) -> None:
    before = node_names(wc_cluster)
    result = run_guarantee(wc_cluster, COVERAGE, timeout_scale=1, extra=provider)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    last = output.strip().splitlines()[-1]
    assert last.startswith("NOT CONFORMANT: 1 not verified ("), output[-3000:]
    assert re.search(reason, output), f"no {reason!r}:\n{output[-3000:]}"
    assert "Traceback" not in output
    assert node_names(wc_cluster) == before
