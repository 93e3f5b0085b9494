"""A taint, label or cordon made through ``node_changes`` MUST show on the node during the test and MUST
be gone once the test is over; a value the node had before MUST come back rather than be deleted.

"Once the test is over" is checked by ``after_teardown``: requested before ``node_changes``, it is set up
before it and so torn down after it, and reads the node as the next test will find it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from clusters.kube.node_markers import (
    MARKER_ANNOTATION,
    UNSCHEDULABLE_TAINT,
    Node,
    find_taint,
    node_marker,
    read_node,
)
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.node_changes import NodeChanges

pytestmark = pytest.mark.disruptive

Check = Callable[[Node], str | None]  # a problem with the node as read, or None


def a_worker(wc_cluster: ClusterUnderTest) -> str:
    """A schedulable node without the control-plane role."""
    for node in wc_cluster.core.list_node().items:
        labels = node.metadata.labels or {}
        if "node-role.kubernetes.io/control-plane" not in labels and not node.spec.unschedulable:
            return node.metadata.name
    pytest.skip("needs a schedulable worker node")


def unique_key(what: str) -> str:
    return f"{what}-{uuid.uuid4().hex[:6]}.wc-test.workload-conformance.io/probe"


@pytest.fixture
def worker(wc_cluster: ClusterUnderTest) -> str:
    return a_worker(wc_cluster)


@pytest.fixture
def after_teardown(
    request: pytest.FixtureRequest, wc_cluster: ClusterUnderTest, worker: str
) -> Iterator[list[Check]]:
    """Checks run on the worker after node_changes has been torn down; none may report a problem.
    A test requests it before node_changes: fixtures are torn down in the reverse order of setup."""
    names = request.fixturenames
    assert names.index("after_teardown") < names.index("node_changes"), "request after_teardown first"
    checks: list[Check] = []
    yield checks
    after = read_node(wc_cluster.core, worker)
    problems = [problem for check in checks if (problem := check(after))]
    left = [run for run, record in node_marker(after).items() if record.owner.test == request.node.nodeid]
    if left:
        problems.append(f"{MARKER_ANNOTATION} still records run(s) {left} of this test")
    assert not problems, f"v1 Node {worker} after the test:\n" + "\n".join(problems)


@pytest.fixture
def set_before(wc_cluster: ClusterUnderTest) -> Iterator[NodeChanges]:
    """Changes made before the test (and undone after it), standing for what the node had already."""
    earlier = NodeChanges(wc_cluster.core, test="pre-existing state")
    yield earlier
    earlier.undo_all()


def test_taint_shows_during_the_test_and_is_gone_after(
    after_teardown: list[Check], node_changes: NodeChanges, wc_cluster: ClusterUnderTest, worker: str
) -> None:
    key = unique_key("taint")
    node_changes.taint(worker, key, "x", "NoSchedule")

    taint = find_taint(read_node(wc_cluster.core, worker), key, "NoSchedule")
    assert taint is not None and taint.get("value") == "x", f"v1 Node {worker}: taint {key} not found"
    after_teardown.append(
        lambda node: f"taint {key} still there" if find_taint(node, key, "NoSchedule") else None
    )


def test_label_shows_during_the_test_and_is_gone_after(
    after_teardown: list[Check], node_changes: NodeChanges, wc_cluster: ClusterUnderTest, worker: str
) -> None:
    key = unique_key("label")
    node_changes.label(worker, key, "during")

    assert wc_cluster.core.read_node(worker).metadata.labels.get(key) == "during"
    after_teardown.append(
        lambda node: f"label {key} still there" if key in node["metadata"].get("labels", {}) else None
    )


def test_cordon_shows_during_the_test_and_is_gone_after(
    after_teardown: list[Check], node_changes: NodeChanges, wc_cluster: ClusterUnderTest, worker: str
) -> None:
    node_changes.cordon(worker)

    node = read_node(wc_cluster.core, worker)
    assert node["spec"].get("unschedulable") is True
    assert find_taint(node, UNSCHEDULABLE_TAINT, "NoSchedule") is not None, (
        "the controller's taint is missing"
    )

    def uncordoned(node: Node) -> str | None:
        if node["spec"].get("unschedulable"):
            return "spec.unschedulable still true"
        if find_taint(node, UNSCHEDULABLE_TAINT, "NoSchedule"):
            return f"taint {UNSCHEDULABLE_TAINT} still there"
        return None

    after_teardown.append(uncordoned)


def test_pre_existing_label_value_is_restored_not_deleted(
    set_before: NodeChanges,
    after_teardown: list[Check],
    node_changes: NodeChanges,
    wc_cluster: ClusterUnderTest,
    worker: str,
) -> None:
    key = unique_key("label")
    set_before.label(worker, key, "before")
    node_changes.label(worker, key, "during")

    assert wc_cluster.core.read_node(worker).metadata.labels.get(key) == "during"
    after_teardown.append(
        lambda node: (
            None
            if node["metadata"].get("labels", {}).get(key) == "before"
            else f"label {key}: {node['metadata'].get('labels', {}).get(key)!r} != 'before'"
        )
    )


def test_pre_existing_taint_is_restored_not_deleted(
    set_before: NodeChanges,
    after_teardown: list[Check],
    node_changes: NodeChanges,
    wc_cluster: ClusterUnderTest,
    worker: str,
) -> None:
    key = unique_key("taint")
    set_before.taint(worker, key, "before", "PreferNoSchedule")
    node_changes.taint(worker, key, "during", "PreferNoSchedule")

    taint = find_taint(read_node(wc_cluster.core, worker), key, "PreferNoSchedule")
    assert taint is not None and taint.get("value") == "during"

    def restored(node: Node) -> str | None:
        taint = find_taint(node, key, "PreferNoSchedule")
        return (
            None if taint and taint.get("value") == "before" else f"taint {key}:PreferNoSchedule is {taint}"
        )

    after_teardown.append(restored)
