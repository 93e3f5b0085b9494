"""The Recreate update strategy (alpha) replaces every pod of a StatefulSet on a template change. Optional:
outside the conformance verdict, not verified where the feature gate is off."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.recreate_strategy import OPTIONAL_REASON, make_recreate_set, set_image
from fixtures.resources.statefulsets import template_mark

pytestmark = [pytest.mark.statefulset, pytest.mark.optional(OPTIONAL_REASON)]

REPLICAS = 5


@pytest.mark.upstream(
    "statefulset.go: should recreate all pods when the update strategy is Recreate",
    parity="stricter",
    note="every pod judged new by UID and running the new template, not only at the new revision label",
)
def test_recreate_replaces_every_pod_with_the_new_template(wc_cluster, make_statefulset, step) -> None:
    """Where the API server takes updateStrategy Recreate, a StatefulSet of 5 Ready at one revision MUST,
    after a template change, come back as 5 new pods (no UID kept), each Ready at the update revision and
    running the new template, with currentRevision equal to updateRevision and 5 updated replicas.

    Fails on: a statefulset controller that leaves pods at the old revision or keeps old pods (named), or
    never finishes (the wait is named). Not verified where the StatefulSetRecreateStrategy gate is off."""
    with step(f"arrange: web of {REPLICAS} with the Recreate strategy, Ready at one revision"):
        web = make_recreate_set(make_statefulset, replicas=REPLICAS)
        sts, before = wait_for(web.ready(REPLICAS))
        old = sts.status.update_revision
        assert {web.revision_of(p) for p in before.values()} == {old}

    with step("act: change the pod template"):
        set_image(web, wc_cluster.toolbox_image, "2")

    with step("observe: every pod new, Ready at the update revision, running the new template"):
        wait_for(web.update_revision_after(old))
        sts, after = wait_for(web.ready(REPLICAS, timeout=240))
        kept = sorted(p.metadata.name for o, p in after.items() if p.metadata.uid == before[o].metadata.uid)
        assert not kept, f"not recreated: {kept}"
        marks = {p.metadata.name: template_mark(p) for p in after.values()}
        assert set(marks.values()) == {"2"}, f"pods not running the new template: {marks}"
        assert sts.status.current_revision == sts.status.update_revision != old
        assert sts.status.updated_replicas == REPLICAS
