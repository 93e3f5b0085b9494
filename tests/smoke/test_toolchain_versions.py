"""The cluster runs the pinned versions: kind's release and Kubernetes' as versions.toml says."""

from __future__ import annotations

import json

import pytest

from clusters.commands import output
from clusters.versions import load
from fixtures.facts.cluster_under_test import ClusterUnderTest


@pytest.fixture
def kind_cluster(wc_cluster: ClusterUnderTest):
    if wc_cluster.kind is None:
        pytest.skip("the toolchain is only known for clusters this suite brought up")
    return wc_cluster.kind


def test_kind_reports_the_pinned_release(kind_cluster) -> None:
    assert output([kind_cluster.toolchain.kind, "version"]).split()[:2] == ["kind", load().kind]


def test_kubectl_and_the_cluster_report_the_pinned_kubernetes(kind_cluster) -> None:
    expected = kind_cluster.toolchain.kubernetes_version
    if kind_cluster.toolchain.mode == "hermetic":
        assert expected == load().kubernetes
    versions = json.loads(kind_cluster.kubectl("version", "-o", "json"))
    assert versions["clientVersion"]["gitVersion"] == expected
    assert versions["serverVersion"]["gitVersion"] == expected
    nodes = json.loads(kind_cluster.kubectl("get", "nodes", "-o", "json"))["items"]
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {expected}
