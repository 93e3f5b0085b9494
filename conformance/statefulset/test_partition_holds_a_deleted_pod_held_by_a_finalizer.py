"""Under a RollingUpdate partition, a held pod that is deleted while a finalizer keeps it comes back at the
revision its ordinal is held at once the finalizer goes, whether its containers ended cleanly (the pod
Succeeded) or one exited 1 on SIGTERM (the pod Failed); the updated pods are untouched meanwhile."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import ADDED, DELETED, PodRecord
from fixtures.resources.pods import restricted
from fixtures.resources.sigterm_containers import exiting_0_on_sigterm, failing_on_sigterm
from fixtures.resources.statefulset_manifests import rolling_update, statefulset_manifest
from fixtures.resources.statefulsets import StatefulSet, template_mark

pytestmark = pytest.mark.statefulset

FINALIZER = "workload-conformance.test/hold"
REPLICAS = 3
PARTITION = 1
QUIET_WINDOW = 5  # seconds web-0 is held terminating, in which nothing else may happen to the set's pods
SPEC = (
    "statefulset.go: should perform canary updates and phased rolling updates of template modifications for "
)
NOTE = (
    "web-0 is seen held being deleted, {phase} (its containers' exit judged, not assumed); for {window} s "
    "meanwhile no pod is made and web-1 and web-2 are untouched (pod events, by UID); the new web-0 runs the "
    "held template (its env), not only the revision label"
)


@pytest.mark.parametrize(
    ("failing", "phase"),
    [
        pytest.param(
            False,
            "Succeeded",
            id="containers-exit-0",
            marks=pytest.mark.upstream(
                SPEC + "partiton1 and delete pod-0 without failing container",
                parity="stricter",
                note=NOTE.format(phase="Succeeded", window=QUIET_WINDOW),
            ),
        ),
        pytest.param(
            True,
            "Failed",
            id="a-container-exits-1",
            marks=pytest.mark.upstream(
                SPEC + "partiton1 and delete pod-0 with failing container",
                parity="stricter",
                note=NOTE.format(phase="Failed", window=QUIET_WINDOW),
            ),
        ),
    ],
)
def test_a_held_pod_deleted_under_a_finalizer_comes_back_at_its_revision(
    failing: bool, phase: str, wc_cluster, make_statefulset, pod_events, request, step
) -> None:
    """With partition=1 on 3 replicas and web-0 carrying a finalizer, a template change MUST move web-1 and
    web-2 to the update revision and keep web-0 at the current one, untouched for QUIET_WINDOW s (status: 3
    Ready, 2 updated). Deleted, web-0 MUST stay held by its finalizer, its containers ended: Succeeded when
    they exit 0 on SIGTERM, Failed when one exits 1; then status.readyReplicas MUST be 2, and for
    QUIET_WINDOW s no pod may be made and web-1 and web-2 untouched. Once the finalizer is removed a new
    web-0 MUST come back Ready at the current revision, running the current template, beside the same web-1
    and web-2 at the update revision.

    Fails on: a statefulset controller that recreates the held pod at the update revision or with the
    updated template (its revision or template named), that leaves it missing or touches the updated pods
    while it is held (the wait or the event named), or admission that resets the partition on update (the
    held pod replaced with the others, or deleted by the controller, is named)."""
    with step(f"arrange: web of {REPLICAS}, partition={PARTITION}, Ready; web-0 held by a finalizer"):
        manifest = statefulset_manifest(
            "web", wc_cluster.toolbox_image, replicas=REPLICAS, update_strategy=rolling_update(PARTITION)
        )
        pod_spec = manifest.spec.template.spec
        exiting_0_on_sigterm(pod_spec.containers[0])
        if failing:
            pod_spec.containers.append(failing_on_sigterm(wc_cluster.toolbox_image, "web-0"))
        restricted(pod_spec)
        web = make_statefulset("web", manifest=manifest)
        sts, before = wait_for(web.ready(REPLICAS))
        current = sts.status.current_revision
        uids = {o: p.metadata.uid for o, p in before.items()}
        request.addfinalizer(lambda: release(web, uids[0]))
        web.patch_pod(0, {"metadata": {"finalizers": [FINALIZER]}})
        recorder = pod_events(f"{APP_LABEL}=web")
        wait_for(recorder.listed(uids.values()))

    with step("act: change the pod template"):
        since_update = len(recorder.records)
        update = web.update_template("2")

    with step(
        f"observe: web-1 and web-2 move to {update}, web-0 stays at {current}, untouched for {QUIET_WINDOW} s"
    ):
        _, pods = wait_for(web.at_revisions({0: current, 1: update, 2: update}))
        assert pods[0].metadata.uid == uids[0], "web-0, below the partition, was replaced"

        def held_pod_touched(records: list[PodRecord]) -> str | None:
            bad = [
                r
                for r in records[since_update:]
                if r.uid == uids[0] and (r.deletion_timestamp or r.kind == DELETED)
            ]
            return bad[0].line(records[0].monotonic) if bad else None

        # the rollout can look done in the moment between web-1 turning Ready and the controller going on
        holds_for(
            recorder.never(held_pod_touched, "web-0 untouched"),
            QUIET_WINDOW,
            "the set deleted web-0 below the partition",
        )
        wait_for(web.ready_count(REPLICAS))
        updated = {o: pods[o].metadata.uid for o in (1, 2)}

    with step("act: delete web-0"):
        web.delete_pod(0)

    with step(f"observe: web-0 held being deleted and {phase}; readyReplicas 2; quiet for {QUIET_WINDOW} s"):
        wait_for(web.terminating(0, uids[0], phase=phase))
        wait_for(web.ready_count(REPLICAS - 1))
        kept, since = set(updated.values()), len(recorder.records)

        def made_or_touched(records: list[PodRecord]) -> str | None:
            window = records[since:]
            bad = [r for r in window if r.kind == ADDED or (r.uid in kept and r.deletion_timestamp)]
            return bad[0].line(records[0].monotonic) if bad else None

        holds_for(
            recorder.never(made_or_touched, "no pod made, web-1 and web-2 untouched"),
            QUIET_WINDOW,
            "the set acted while web-0 was held",
        )

    with step("act: remove web-0's finalizer"):
        release(web, uids[0])

    with step(f"observe: a new web-0 Ready at {current} with the current template; web-1, web-2 the same"):
        web0 = wait_for(web.replaced("web-0", uids[0]))
        sts, pods = wait_for(web.at_revisions({0: current, 1: update, 2: update}))
        wait_for(web.ready_count(REPLICAS))
        assert template_mark(web0) is None, f"the new web-0 runs WC_REVISION={template_mark(web0)}"
        assert pods[0].metadata.uid == web0.metadata.uid
        assert {o: pods[o].metadata.uid for o in (1, 2)} == updated, "web-1 or web-2 was replaced"
        revisions = (sts.status.current_revision, sts.status.update_revision)
        assert revisions == (current, update), f"status.currentRevision, updateRevision: {revisions}"


def release(web: StatefulSet, pod_uid: str) -> None:
    """Remove the finalizer from web-0 if that very pod still has it (also when the test failed)."""
    try:
        pod = web.pod(0).read()
    except ApiException as err:
        if err.status == 404:
            return
        raise
    if pod.metadata.uid == pod_uid and FINALIZER in (pod.metadata.finalizers or []):
        only_that_pod = {"op": "test", "path": "/metadata/uid", "value": pod_uid}
        web.patch_pod(0, [only_that_pod, {"op": "remove", "path": "/metadata/finalizers"}])
