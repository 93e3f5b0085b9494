"""A StatefulSet with the OnDelete strategy replaces no pod after a template change; a pod deleted by
hand comes back under its name from the new template, and the others stay as they were."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import holds_for, wait_for
from fixtures.observation.event_recorder import pod_added_or_deleted
from fixtures.resources.statefulset_manifests import on_delete

pytestmark = pytest.mark.statefulset

QUIET_WINDOW = 5  # seconds, after the controller has observed the change, in which nothing may be replaced


def test_on_delete_replaces_only_the_deleted_pod(make_statefulset, pod_events, step) -> None:
    """After a template change, no pod may be deleted or created for a while; once web-1 is deleted, a
    new web-1 MUST come up at the update revision while web-0 and web-2 stay the same pods (same UIDs) at
    the current revision.

    Fails on: a statefulset controller that treats OnDelete like RollingUpdate (the replaced pod is named
    with its event), or recreates a deleted pod from the old template (its revision is named)."""
    with step("arrange: an OnDelete StatefulSet web of 3 Ready, its pod events recorded"):
        web = make_statefulset("web", update_strategy=on_delete())
        sts, before = wait_for(web.ready(3))
        current = sts.status.current_revision
        uids = {o: p.metadata.uid for o, p in before.items()}
        recorder = pod_events(f"{APP_LABEL}=web")

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
