"""README's "test my CNI" command MUST work as written: a kind cluster without kindnet, the user's CNI
(here flannel, built from source) installed from its manifest after its images are loaded, the network
guarantees passing on a healthy network and the report naming the CNI. On a deliberately broken network
(flannel's alloc backend: subnets, but no routes between nodes) the all-pairs guarantee MUST fail and
name every node pair that cannot reach the other.

Each run brings up (and deletes) a cluster of its own of two nodes, beside this run's shared cluster of
four: with the node the joined-node guarantee adds, three, the room tests/parallel_run.py gives an own
cluster (seven kind nodes fit on this host)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import ReadmeCommands  # tests/conftest.py: the readme fixture

pytestmark = [pytest.mark.own_cluster, pytest.mark.slow]

OUT_DIR = "/tmp/my-cni"
CLUSTER = "wc-my-cni"
NODES = [f"{CLUSTER}-control-plane", f"{CLUSTER}-worker"]  # topologies/two-nodes.yaml
ALL_PAIRS = "conformance/network/test_pods_reach_pods_on_every_node.py"


def test_healthy_cni_passes_the_network_guarantees_and_the_report_names_it(
    readme: ReadmeCommands, tmp_path: Path
) -> None:
    command = readme.command("test-my-cni")
    run = readme.run(command, tmp_path / "report", substitutions={OUT_DIR: str(tmp_path / "cni")})

    assert run.returncode == 0, f"the README command failed (exit {run.returncode}); its output is above"
    outcomes = run.outcomes()
    assert outcomes and set(outcomes.values()) == {"passed"}, outcomes
    assert any("conformance/network/" in nodeid for nodeid in outcomes), sorted(outcomes)
    facts = run.summary["facts"]
    assert facts["cni"].startswith("flannel v0.28.10"), facts  # the image tag: version, then build key
    assert "kube-flannel-host-gw.yaml" in facts["cni_installed"], facts


def test_network_without_routes_between_nodes_fails_all_pairs_naming_each_pair(
    readme: ReadmeCommands, tmp_path: Path
) -> None:
    broken = readme.command("test-my-cni").replace("kube-flannel-host-gw.yaml", "kube-flannel-alloc.yaml")
    run = readme.run(
        broken,
        tmp_path / "report",
        substitutions={
            OUT_DIR: str(tmp_path / "cni"),
            "sample-cni --out": "sample-cni --backend alloc --out",
            "conformance -m network": f"{ALL_PAIRS} -m network",
        },
    )

    assert run.returncode == 1, f"expected the all-pairs guarantee to fail, exit {run.returncode}"
    assert list(run.outcomes().values()) == ["failed"], run.outcomes()
    named = set(re.findall(rf"({CLUSTER}-[\w-]+) \([\d.]+\) -> ({CLUSTER}-[\w-]+) \([\d.]+\)", run.output))
    across_nodes = set(itertools.permutations(NODES, 2))
    assert named == across_nodes, f"pairs named {sorted(named)}, expected every pair of nodes"
