"""Rolling a StatefulSet back to its previous revision restores that revision for every pod."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for

pytestmark = pytest.mark.statefulset


def test_rollback_restores_the_previous_revision(make_statefulset, step) -> None:
    """After an update to revision B, applying revision A's recorded template (what `kubectl rollout undo`
    does) MUST make A the update revision again (the same ControllerRevision, not a copy) and MUST bring
    every pod back to A, ending with currentRevision == updateRevision == A.

    Fails on: a cluster whose statefulset controller mints a new revision for an old template (the two
    names are shown) or leaves pods on B (named with their revision)."""
    with step("arrange: web of 3 Ready at revision A, then updated to revision B"):
        web = make_statefulset("web")
        sts, _ = wait_for(web.ready(3))
        revision_a = sts.status.current_revision
        web.update_template("B")
        sts, _ = wait_for(web.ready(3, timeout=240))
        revision_b = sts.status.current_revision
        assert revision_b != revision_a

    with step(f"act: roll back to {revision_a} by applying its recorded template"):
        web.roll_back_to(revision_a)

    with step(f"observe: every pod back on {revision_a}, which is the update revision again"):
        wait_for(web.update_revision_after(revision_b))
        sts, _ = wait_for(web.ready(3, timeout=240))
        assert sts.status.update_revision == revision_a, (
            f"rollback made revision {sts.status.update_revision}, not the recorded {revision_a}"
        )
        assert sts.status.current_revision == revision_a
