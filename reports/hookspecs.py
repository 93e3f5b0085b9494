"""Hooks the reports plugin adds to pytest (registered in reports.plugin.pytest_addhooks)."""

from __future__ import annotations

import pytest


@pytest.hookspec(firstresult=True)
def pytest_wc_cluster_facts(config: pytest.Config) -> dict[str, str] | None:
    """Facts about the cluster under test, for the reports; None if this plugin does not know them.

    Called once, at the end of the run, after the tests (a session-scoped cluster may be gone by
    then: answer from facts gathered while it was up). Keys the reports know, each shown as
    "unknown" when missing: kubernetes_version, nodes, container_runtime, cni,
    default_storage_class, storage_provisioner, kind_version, node_image, cgroup_version. Other
    keys are shown too. The first implementation that returns a dict wins.
    """
