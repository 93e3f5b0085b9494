"""Shared by the harness's own tests: how an inner pytest run reaches the cluster this run uses."""

from __future__ import annotations

import pytest

from fixtures.cluster_access import ClusterUnderTest
from fixtures.plugin import options_key

OWN_CLUSTER = "own_cluster"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{OWN_CLUSTER}: brings up a kind cluster of its own (runs before the shared one exists)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that bring up kind clusters of their own run first, before this run's shared cluster is
    created (lazily, by the first test that needs it): this host fits only about seven kind nodes
    (clusters/host_limits.py), so the two must not be up together."""
    items.sort(key=lambda item: item.get_closest_marker(OWN_CLUSTER) is None)


@pytest.fixture
def inner_cluster_args(
    pytestconfig: pytest.Config, wc_cluster: ClusterUnderTest, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Options that point an inner pytest run at this run's cluster, which it must reuse, never delete.

    pytester gives inner runs their own HOME: WC_CACHE_DIR keeps them on this run's toolchain cache
    (else they would build the whole toolchain again)."""
    options = pytestconfig.stash[options_key]
    if wc_cluster.kind is not None:
        monkeypatch.setenv("WC_CACHE_DIR", str(wc_cluster.kind.state_dir.parent.parent))
    args = ["--wc-provider", options.provider, "--wc-cluster-name", options.cluster_name, "--wc-keep-cluster"]
    if options.kubeconfig is not None:
        args += ["--wc-kubeconfig", str((pytestconfig.invocation_params.dir / options.kubeconfig).resolve())]
    if options.context:
        args += ["--wc-context", options.context]
    if options.toolchain:
        args += ["--wc-toolchain", options.toolchain]
    if wc_cluster.toolbox_image:
        args += ["--wc-toolbox-image", wc_cluster.toolbox_image]
    return args
