"""A StatefulSet rolling update, and the rollback after it, wait while a pod is unready, then replace the
pods from the highest ordinal down, and the rollback returns to the recorded revision."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import PodEventRecorder, pod_added_or_deleted
from fixtures.observation.ordinal_rollout import reverse_ordinal_problems
from fixtures.resources.statefulsets import StatefulSet

pytestmark = pytest.mark.statefulset

#: Seconds, once the controller has made the new update revision, in which an unready web-1 must hold the
#: rollout back (a controller that does not wait deletes web-2 in that same sync).
QUIET_WINDOW = 5


def web_1_unready(web: StatefulSet) -> None:
    web.set_ready_file(1, present=False)
    wait_for(web.readiness(1, False))
    wait_for(web.ready_count(2))


def rolled_out_while_web_1_was_unready(
    web: StatefulSet, recorder: PodEventRecorder, revision: str, old: dict[int, str]
) -> dict[int, str]:
    """With web-1 unready, no pod may be replaced for QUIET_WINDOW s; once it is Ready again every pod
    MUST be replaced highest ordinal first, each at ``revision``. Returns the new pods' UIDs by ordinal."""
    since = len(recorder.records)
    holds_for(
        recorder.never(lambda records: pod_added_or_deleted(records[since:]), "no pod created or deleted"),
        QUIET_WINDOW,
        "the rollout went on while web-1 was not Ready",
    )
    web.set_ready_file(1, present=True)
    sts, after = wait_for(web.ready(3, timeout=240))
    assert sts.status.current_revision == sts.status.update_revision == revision, (
        f"status.currentRevision {sts.status.current_revision}, updateRevision {sts.status.update_revision}"
    )
    new = {ordinal: pod.metadata.uid for ordinal, pod in after.items()}
    for ordinal, pod in sorted(after.items()):
        assert new[ordinal] != old[ordinal], f"{pod.metadata.name} was never replaced"
        assert web.revision_of(pod) == revision, f"{pod.metadata.name} at {web.revision_of(pod)}"
    problems = reverse_ordinal_problems(recorder.records[since:], "web", old, new)
    assert not problems, "; ".join(problems) + f":\n{recorder.timeline()}"
    return new


@pytest.mark.upstream(
    "statefulset.go: should perform rolling updates and roll backs of template modifications",
    parity="stricter",
    note=f"the rollout and the rollback must also hold still for {QUIET_WINDOW} s while web-1 is unready "
    "(every pod event judged); the replacement order and each successor Ready before its predecessor goes "
    "are judged by event order; the template change is an env value, not an image",
)
def test_rolling_update_and_rollback_wait_for_unready_pods(make_statefulset, pod_events, step) -> None:
    """With web-1 of 3 unready, a template change MUST make a new update revision B (currentRevision still
    A) and replace no pod; once web-1 is Ready, the pods MUST be replaced web-2, web-1, web-0, each new pod
    Ready before the next old one goes, ending at currentRevision == updateRevision == B. With web-1
    unready again, rolling back to A's recorded template MUST make A the update revision again (the same
    ControllerRevision), replace no pod while web-1 is unready, then replace them in the same order back to A.

    Fails on: a statefulset controller that updates past an unready pod (the replaced pod is named), that
    replaces pods lowest first or without waiting for readiness (the order and timeline are shown), or that
    mints a new revision for the old template (both names are shown)."""
    with step("arrange: web of 3 Ready at revision A, its pod events recorded"):
        web = make_statefulset("web", readiness_file=True, start_ready=True)
        sts, before = wait_for(web.ready(3))
        revision_a = sts.status.current_revision
        assert sts.status.update_revision == revision_a
        for pod in before.values():
            assert web.revision_of(pod) == revision_a, f"{pod.metadata.name} at {web.revision_of(pod)}"
        old = {ordinal: pod.metadata.uid for ordinal, pod in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")
        wait_for(recorder.listed(old.values()))

    with step("act: make web-1 unready, then change the pod template"):
        web_1_unready(web)
        revision_b = web.update_template("B")
        sts = web.read()
        assert revision_b != revision_a and sts.status.current_revision == revision_a, (
            f"currentRevision {sts.status.current_revision}, updateRevision {revision_b}, before {revision_a}"
        )

    with step(f"observe: nothing replaced while web-1 is unready, then web-2..web-0 at {revision_b}"):
        updated = rolled_out_while_web_1_was_unready(web, recorder, revision_b, old)

    with step(f"act: make web-1 unready, then roll back to {revision_a}'s recorded template"):
        web_1_unready(web)
        web.roll_back_to(revision_a)
        sts = wait_for(web.update_revision_after(revision_b))
        assert sts.status.update_revision == revision_a, (
            f"the rollback made revision {sts.status.update_revision}, not the recorded {revision_a}"
        )
        assert sts.status.current_revision == revision_b

    with step(f"observe: nothing replaced while web-1 is unready, then web-2..web-0 back at {revision_a}"):
        rolled_out_while_web_1_was_unready(web, recorder, revision_a, updated)
