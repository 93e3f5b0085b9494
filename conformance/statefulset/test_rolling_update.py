"""A StatefulSet rolling update replaces its pods one at a time from the highest ordinal down, each
replacement Ready before the next old pod goes, and ends with every pod at the update revision."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.observation.ordinal_rollout import reverse_ordinal_problems

pytestmark = pytest.mark.statefulset


def test_rolling_update_replaces_pods_in_reverse_ordinal_order(make_statefulset, pod_events, step) -> None:
    """After a template change, the old pods MUST begin terminating in the order web-2, web-1, web-0;
    the new web-2 MUST be Ready before the old web-1's deletion starts, and the new web-1 before the old
    web-0's. At the end every pod MUST carry the update revision and status.currentRevision MUST equal
    status.updateRevision, at the current observedGeneration.

    Fails on: a statefulset controller that replaces pods in parallel or lowest-first, or without waiting
    for readiness (the out-of-order deletion and the timeline are named), or that never finishes the
    rollout (the pods left at the old revision are named)."""
    with step("arrange: a StatefulSet web of 3 Ready, its pod events recorded"):
        web = make_statefulset("web")
        _, before = wait_for(web.ready(3))
        old = {o: p.metadata.uid for o, p in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")
        wait_for(recorder.listed(old.values()))

    with step("act: change the pod template"):
        new_revision = web.update_template("2")

    with step(f"observe: every pod replaced at revision {new_revision}, highest ordinal first"):
        sts, after = wait_for(web.ready(3, timeout=240))
        assert sts.status.current_revision == sts.status.update_revision == new_revision, (
            f"status.currentRevision {sts.status.current_revision}, "
            f"updateRevision {sts.status.update_revision}"
        )
        for ordinal, pod in sorted(after.items()):
            assert pod.metadata.uid != old[ordinal], f"{pod.metadata.name} was never replaced"
            assert web.revision_of(pod) == new_revision, f"{pod.metadata.name} at {web.revision_of(pod)}"
        problems = reverse_ordinal_problems(
            recorder.records, "web", old, {o: p.metadata.uid for o, p in after.items()}
        )
        assert not problems, "; ".join(problems) + f":\n{recorder.timeline()}"
