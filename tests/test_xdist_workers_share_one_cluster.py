"""Under pytest-xdist, the workers of one run MUST bring the cluster up once (a second toolchain build or
``kind create`` at the same time fails) and MUST NOT delete it while others test on it.

A fake suite runs in a pytest subprocess with three workers; its "bring-up" is slow and logs each call.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

FAKE_TESTS = """
import os
import time
from types import SimpleNamespace

import pytest

from fixtures.plugin.shared_cluster import bring_up_once


def slow_bring_up():
    start = time.time()
    created = not os.path.exists("created")
    time.sleep(0.5)  # long enough for an unserialised second bring-up to start meanwhile
    open("created", "a").close()
    with open("bring-ups.log", "a") as log:
        log.write(f"{start} {time.time()} {created}\\n")
    return SimpleNamespace(name="fake"), created


@pytest.fixture(scope="session")
def cluster(pytestconfig):
    return bring_up_once(pytestconfig, slow_bring_up)


@pytest.mark.parametrize("n", range(6))
def test_uses_the_cluster(cluster, n):
    _, must_delete = cluster
    assert not must_delete, "a worker would delete the cluster the others still test on"
"""


def test_one_worker_brings_the_cluster_up_and_none_deletes_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fake=FAKE_TESTS)
    # --wc-keep-cluster: the controller would otherwise delete the (fake) cluster the note names
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wc-no-report", "--wc-keep-cluster", "-n", "3"
    )
    result.assert_outcomes(passed=6)
    calls = sorted(line.split() for line in (pytester.path / "bring-ups.log").read_text().splitlines())
    assert len(calls) == 3, calls  # each worker asked once
    assert [created for *_, created in calls] == ["True", "False", "False"], calls
    for (_, end, _), (start, _, _) in zip(calls, calls[1:], strict=False):
        assert float(start) >= float(end), f"two bring-ups ran at once: {calls}"
    assert (pytester.path / "created").exists()
