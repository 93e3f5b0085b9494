"""A StatefulSet rolling update, and the rollback after it, wait while a pod is unready, then replace the
pods from the highest ordinal down, and the rollback returns to the recorded revision."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import PodEventRecorder, pod_added_or_deleted
from fixtures.observation.ordinal_rollout import reverse_ordinal_problems
from fixtures.resources.claims import mounted_claim
from fixtures.resources.statefulset_manifests import DATA_DIR, claim_name
from fixtures.resources.statefulsets import CLAIM_TEMPLATE, StatefulSet

pytestmark = pytest.mark.statefulset

#: The file each pod writes on its claim (with_claims), read back after the rollback.
OWNER_FILE = f"{DATA_DIR}/owner"
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


def claims_kept(web: StatefulSet, claims: dict[str, str], *, read: bool) -> None:
    """Each pod of web mounts its claim of ``claims`` (name -> UID), the same claim; with ``read``, it also
    reads the file it wrote there before the rollouts."""
    now = web.claims()
    for ordinal, pod in sorted(web.pods().items()):
        name = claim_name(CLAIM_TEMPLATE, "web", ordinal)
        assert mounted_claim(pod) == name, f"{pod.metadata.name} mounts {mounted_claim(pod)}, not {name}"
        assert name in now and now[name].metadata.uid == claims[name], (
            f"{name} was replaced or deleted: uid {now[name].metadata.uid if name in now else 'gone'}"
        )
        if read:
            result = web.pod(ordinal).exec(["cat", OWNER_FILE])
            assert result.ok and result.output.strip() == f"web-{ordinal}", (
                f"{pod.metadata.name} reads {result.output.strip()!r} from {OWNER_FILE} on {name}"
            )


ROLLBACK_NOTE = (
    f"the rollout and the rollback must also hold still for {QUIET_WINDOW} s while web-1 is unready "
    "(every pod event judged); the replacement order and each successor Ready before its predecessor goes "
    "are judged by event order; the template change is an env value, not an image"
)


@pytest.mark.parametrize(
    "with_claims",
    [
        pytest.param(
            False,
            id="no-claims",
            marks=pytest.mark.upstream(
                "statefulset.go: should perform rolling updates and roll backs of template modifications",
                parity="stricter",
                note=ROLLBACK_NOTE,
            ),
        ),
        pytest.param(
            True,
            id="claims",
            marks=[
                pytest.mark.storage,
                pytest.mark.upstream(
                    "statefulset.go: should perform rolling updates and roll backs of template modifications "
                    "with PVCs",
                    parity="stricter",
                    note=ROLLBACK_NOTE
                    + "; every replaced pod mounts its ordinal's claim, the same one (UID), "
                    "and reads what the first pod of its ordinal wrote",
                ),
            ],
        ),
    ],
)
def test_rolling_update_and_rollback_wait_for_unready_pods(
    make_statefulset, pod_events, step, storage_class_name, with_claims
) -> None:
    """With web-1 of 3 unready, a template change MUST make a new update revision B (currentRevision still
    A) and replace no pod; once web-1 is Ready, the pods MUST be replaced web-2, web-1, web-0, each new pod
    Ready before the next old one goes, ending at currentRevision == updateRevision == B. With web-1
    unready again, rolling back to A's recorded template MUST make A the update revision again (the same
    ControllerRevision), replace no pod while web-1 is unready, then replace them in the same order back to A.

    Fails on: a statefulset controller that updates past an unready pod (the replaced pod is named), that
    replaces pods lowest first or without waiting for readiness (the order and timeline are shown), or that
    mints a new revision for the old template (both names are shown). With a claim template (claims), each
    pod after each rollout MUST mount data-web-N, the same claim (UID), and after the rollback read the file
    the first web-N wrote there; fails too on a controller or storage that gives a replaced pod a new or
    empty claim (named)."""
    with step(
        f"arrange: web of 3 Ready at revision A{' with claims' if with_claims else ''}, pod events recorded"
    ):
        claims = {"volume_claim": CLAIM_TEMPLATE, "storage_class": storage_class_name} if with_claims else {}
        web = make_statefulset("web", readiness_file=True, start_ready=True, **claims)
        sts, before = wait_for(web.ready(3, timeout=240))
        if with_claims:
            bound = wait_for(web.claims_bound(CLAIM_TEMPLATE, 3))
            uids = {name: claim.metadata.uid for name, claim in bound.items()}
            for ordinal in range(3):
                result = web.pod(ordinal).exec(["sh", "-c", f"echo web-{ordinal} > {OWNER_FILE}"])
                assert result.ok, f"writing {OWNER_FILE} in web-{ordinal}: {result.output}"
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
        if with_claims:
            claims_kept(web, uids, read=False)

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
        if with_claims:
            claims_kept(web, uids, read=True)
