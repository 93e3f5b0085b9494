"""The DaemonSet and StatefulSet guarantees fail, and say what is missing, on a cluster whose
kube-controller-manager runs without its daemonset and statefulset controllers.

One restart of the controller manager without both controllers serves four guarantees, run together in one
inner pytest with their waits shortened (a restart and its undoing take about a minute each); the
controller manager is restored afterwards, also when the case fails."""

from __future__ import annotations

import re

import pytest
from breakers.control_plane import controllers_disabled
from test_guarantees_fail_on_broken_clusters import run_guarantee

from fixtures.facts.cluster_under_test import ClusterUnderTest

pytestmark = pytest.mark.disruptive

COVERAGE = "conformance/daemonset/test_coverage.py"
REVISIONS = "conformance/daemonset/test_controller_revision_lifecycle.py"
REJECTED_POD = "conformance/statefulset/test_rejected_pod_recreated.py"
SCALE = "conformance/statefulset/test_scale_subresource.py"
#: What each guarantee MUST say; {worker} is filled in for each schedulable worker.
FAILURES = {
    COVERAGE: [r"timed out after [\d.]+s waiting for apps/v1 DaemonSet", r"{worker}: no pod"],
    REVISIONS: [
        r"timed out after [\d.]+s waiting for apps/v1 DaemonSet \S+/agent: a current ControllerRevision; "
        r"last seen: ControllerRevisions it controls: none"
    ],
    # no web-0 is ever made, let alone rejected and made again
    REJECTED_POD: [
        r"timed out after [\d.]+s waiting for pod events of pods in \S+ with labels "
        r"app\.kubernetes\.io/name=web: a web-0 Failed and deleted, then a new web-0 made; "
        r"last seen: 0 events; last: no events"
    ],
    # the scale itself is served by the API server and holds; no pod follows it
    SCALE: [
        r"timed out after [\d.]+s waiting for apps/v1 StatefulSet \S+/web: exactly web-0\.\.web-0 "
        r"Running and Ready, status in agreement; last seen: web-0: missing"
    ],
}


def test_workload_guarantees_fail_naming_what_is_missing_when_their_controllers_are_off(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Coverage MUST name each worker as having no pod; the ControllerRevision guarantee MUST say the
    DaemonSet controls none; the rejected-pod guarantee MUST say no web-0 was ever made; the scale guarantee
    MUST name web-0 as missing. All four broken, none by a traceback."""
    if wc_cluster.kind is None:
        pytest.skip("needs a kind cluster brought up by this suite to restart its controller manager")
    workers = sorted(
        n.metadata.name
        for n in wc_cluster.core.list_node(label_selector="!node-role.kubernetes.io/control-plane").items
    )
    assert workers, "the cluster under test has no worker to name"
    guarantees = list(FAILURES)
    with controllers_disabled(wc_cluster.kind, ["daemonset-controller", "statefulset-controller"]):
        result = run_guarantee(wc_cluster, guarantees[0], extra=[*guarantees[1:], "-n", str(len(guarantees))])
    output = result.stdout + result.stderr
    unsaid = [
        f"{guarantee}: {pattern.format(worker=worker)}"
        for guarantee, patterns in FAILURES.items()
        for pattern in patterns
        for worker in (workers if "{worker}" in pattern else [None])
        if not re.search(pattern.format(worker=worker), output)
    ]
    assert not unsaid, "not said:\n" + "\n".join(unsaid) + f"\n--- output:\n{output[-5000:]}"
    assert result.returncode == 1, output[-3000:]
    assert output.strip().splitlines()[-1] == f"NOT CONFORMANT: {len(guarantees)} broken", output[-3000:]
    assert "Traceback" not in output
