"""A StatefulSet with the OnDelete strategy replaces no pod after a template change; a pod deleted by
hand comes back under its name from the template of the update revision, and the others stay as they
were."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import pod_added_or_deleted
from fixtures.resources.statefulset_manifests import on_delete
from fixtures.resources.statefulsets import template_mark

pytestmark = pytest.mark.statefulset

QUIET_WINDOW = 5  # seconds, after the controller has observed the change, in which nothing may be replaced


@pytest.mark.upstream(
    "statefulset.go: should implement legacy replacement when the update strategy is OnDelete",
    parity="stricter",
    note=f"after the template change nothing is replaced for {QUIET_WINDOW} s (every pod event judged); "
    "a pod deleted alone moves to the update revision while the others stay the same pods (UIDs) at the "
    "current one; pods deleted are judged new by UID and by the template they run",
)
def test_on_delete_replaces_only_the_deleted_pod(make_statefulset, pod_events, step) -> None:
    """Pods deleted before any change MUST come back (new pods) at the current revision. After a template
    change, no pod may be deleted or created for a while; once web-1 is deleted, a new web-1 MUST come up
    at the update revision while web-0 and web-2 stay the same pods (same UIDs) at the current revision;
    once they are deleted too, all three MUST run the new template at the update revision.

    Fails on: a statefulset controller that treats OnDelete like RollingUpdate (the replaced pod is named
    with its event), or recreates a deleted pod from the old template (its revision is named)."""
    with step("arrange: an OnDelete StatefulSet web of 3 Ready"):
        web = make_statefulset("web", update_strategy=on_delete())
        sts, first = wait_for(web.ready(3))
        current = sts.status.current_revision

    with step("act: delete web-0, web-1 and web-2"):
        for ordinal in range(3):
            web.delete_pod(ordinal)

    with step(f"observe: all three come back, new pods, at {current}"):
        for ordinal in range(3):
            wait_for(web.replaced(web.pod_name(ordinal), first[ordinal].metadata.uid, ready=False))
        sts, before = wait_for(web.ready(3))
        assert sts.status.current_revision == current, (
            f"currentRevision moved to {sts.status.current_revision}"
        )
        assert {web.revision_of(p) for p in before.values()} == {current}
        uids = {o: p.metadata.uid for o, p in before.items()}
        assert not set(uids.values()) & {p.metadata.uid for p in first.values()}, "a pod was not replaced"
        recorder = pod_events(f"{APP_LABEL}=web")
        wait_for(recorder.listed(uids.values()))

    with step("act: change the pod template"):
        update = web.update_template("2")

    with step(f"observe: nothing is replaced within {QUIET_WINDOW} s"):
        holds_for(
            recorder.never(pod_added_or_deleted, "no pod deleted or created"),
            QUIET_WINDOW,
            "OnDelete replaced a pod without being asked",
        )

    with step("act: delete web-1"):
        web.delete_pod(1)

    with step(f"observe: web-1 comes back at {update}; web-0 and web-2 untouched at {current}"):
        new = wait_for(web.replaced("web-1", uids[1]))
        assert web.revision_of(new) == update, f"the new web-1 is at {web.revision_of(new)}, not {update}"
        pods = web.pods()
        for ordinal in (0, 2):
            pod = pods[ordinal]
            assert pod.metadata.uid == uids[ordinal], f"web-{ordinal} was replaced without being deleted"
            assert web.revision_of(pod) == current, f"web-{ordinal} moved to {web.revision_of(pod)}"

    with step("act: delete web-0 and web-2"):
        web.delete_pod(0)
        web.delete_pod(2)

    with step(f"observe: all three at {update}, running the new template; web-1 the same pod"):
        for ordinal in (0, 2):
            wait_for(web.replaced(web.pod_name(ordinal), uids[ordinal], ready=False))
        _, pods = wait_for(web.at_revisions(dict.fromkeys(range(3), update)))
        assert pods[1].metadata.uid == new.metadata.uid, "web-1 was replaced without being deleted"
        marks = {p.metadata.name: template_mark(p) for p in pods.values()}
        assert set(marks.values()) == {"2"}, f"pods not running the new template: {marks}"
