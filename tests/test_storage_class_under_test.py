"""The storage guarantees MUST run on the StorageClass the user names (--wc-storage-class), and MUST be
not verified (a failure), saying why, when that class does not exist or cannot bind a claim within
--wc-storage-bind-timeout: a broken storage driver must never pass by making the checks impossible.

Each test runs a small inner suite on this run's cluster with a chosen class."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.facts.preflight import Preflight

pytest_plugins = ["pytester"]

NEEDS_STORAGE = """
import pytest


@pytest.mark.storage
def test_claims_a_volume(storage_class_name):
    assert storage_class_name is not None
"""


def run_with_class(pytester: pytest.Pytester, cluster_args: list[str], *args: str) -> pytest.RunResult:
    """The inner test as a guarantee (under conformance/), so the run ends with its verdict."""
    folder = pytester.mkdir("conformance") / "storage"
    folder.mkdir()
    (folder / "test_inner.py").write_text(NEEDS_STORAGE)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wc-no-report", *cluster_args, *args, timeout=600
    )


@pytest.fixture
def unserved_class(wc_cluster: ClusterUnderTest) -> Iterator[str]:
    """A StorageClass whose provisioner nobody runs: its claims stay Pending forever."""
    name = f"wc-unserved-{uuid.uuid4().hex[:6]}"
    wc_cluster.storage.create_storage_class(
        client.V1StorageClass(
            metadata=client.V1ObjectMeta(name=name),
            provisioner="example.invalid/nobody",
            volume_binding_mode="Immediate",
        )
    )
    yield name
    wc_cluster.storage.delete_storage_class(name)


def test_a_class_that_does_not_exist_leaves_the_storage_guarantees_not_verified_naming_the_classes(
    pytester: pytest.Pytester, inner_cluster_args: list[str], wc_cluster: ClusterUnderTest
) -> None:
    result = run_with_class(pytester, inner_cluster_args, "--wc-storage-class", "no-such-class")
    result.assert_outcomes(errors=1)
    existing = sorted(c.metadata.name for c in wc_cluster.storage.list_storage_class().items)
    result.stdout.fnmatch_lines(
        [
            "E *NotVerified: storage: StorageClass no-such-class does not exist "
            f"(the cluster has {', '.join(existing)}); give a StorageClass that binds claims*"
        ]
    )


def test_a_class_that_cannot_bind_a_claim_in_time_leaves_them_not_verified_saying_so(
    pytester: pytest.Pytester, inner_cluster_args: list[str], unserved_class: str
) -> None:
    result = run_with_class(
        pytester, inner_cluster_args, "--wc-storage-class", unserved_class, "--wc-storage-bind-timeout", "5"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"E *NotVerified: storage: StorageClass {unserved_class} (example.invalid/nobody) did not bind a "
            "claim within 5 s (claim bind-probe is Pending)*"
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.outlines[-1].startswith(
        f"NOT CONFORMANT: 1 not verified (storage: StorageClass {unserved_class} (example.invalid/nobody) "
        "did not bind a claim within 5 s"
    ), result.stdout.str()


def test_a_class_that_binds_runs_them_on_that_class(
    pytester: pytest.Pytester, inner_cluster_args: list[str], preflight: Preflight
) -> None:
    default = preflight.default_storage_class
    if default is None:
        pytest.skip("this cluster has no default StorageClass to choose by name")
    result = run_with_class(pytester, inner_cluster_args, "--wc-storage-class", default.name)
    result.assert_outcomes(passed=1)
    assert result.outlines[-1] == "CONFORMANT: 1 of 1 selected guarantees hold"
