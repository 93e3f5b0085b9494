"""StatefulSets are found across namespaces by label, patched, and deleted as a collection by label: only
the selected sets go, and their pods with them."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.statefulset_manifests import CONTAINER

pytestmark = pytest.mark.statefulset

#: The label the patch adds; its value is the test's namespace, so no other test's sets carry it.
COLLECTION_LABEL = "workload-conformance.io/collection"


@pytest.mark.upstream(
    "statefulset.go: should list, patch and delete a collection of StatefulSets",
    parity="stricter",
    note="the patched set rolls to exactly web-0 and web-1 at the new revision; the list across namespaces "
    "is web alone by UID; the deleted set's pods go by name and none is remade; a set the selector does "
    "not match, and its pod, stay the same objects",
)
def test_statefulsets_are_listed_patched_and_deleted_as_a_collection(make_statefulset, step) -> None:
    """Of two StatefulSets web and db, web is patched in one request with a new label, 2 replicas and a
    new pod template: the patch MUST be stored with a higher resourceVersion and generation, and exactly
    web-0 and web-1 MUST then run Ready at the new revision. Listing StatefulSets of all namespaces by that
    label MUST return web alone (by namespace, name and UID). Deleting the namespace's collection selected
    by that label MUST delete web and its pods web-0 and web-1 (no pod of web left, none recreated), after
    which the same list is empty; db and its pod db-0 MUST stay the same objects, not being deleted.

    Fails on: an API server whose StatefulSet patch, cross-namespace list by label or deletecollection is
    missing or ignores the label selector (the sets listed or deleted are named); a statefulset controller
    that does not act on the patched replicas and template (the pods and revisions seen are named); a
    garbage collector that leaves a deleted set's pods behind (the pods left are named)."""
    with step("arrange: StatefulSets web and db of 1 each, Ready"):
        web = make_statefulset("web", replicas=1)
        db = make_statefulset("db", replicas=1)
        before, _ = wait_for(web.ready(1))
        db_set, db_pods = wait_for(db.ready(1))
        selector = f"{COLLECTION_LABEL}={web.namespace}"

    with step("act: patch web with a label, 2 replicas and a new pod template, in one request"):
        container = {"name": CONTAINER, "env": [{"name": "WC_REVISION", "value": "patched"}]}
        patched = web.patch(
            {
                "metadata": {"labels": {COLLECTION_LABEL: web.namespace}},
                "spec": {"replicas": 2, "template": {"spec": {"containers": [container]}}},
            }
        )

    with step("observe: the patch stored, and exactly web-0 and web-1 Ready at the new revision"):
        assert int(patched.metadata.resource_version) > int(before.metadata.resource_version), (
            f"resourceVersion {patched.metadata.resource_version} after the patch, "
            f"{before.metadata.resource_version} before"
        )
        assert patched.metadata.generation > before.metadata.generation, "the patch left the generation"
        wait_for(web.update_revision_after(before.status.update_revision))
        _, web_pods = wait_for(web.ready(2))
        web_uids = {p.metadata.name: p.metadata.uid for p in web_pods.values()}
        assert sorted(web_uids) == ["web-0", "web-1"], web_uids

    with step(f"act: list the StatefulSets of all namespaces labelled {selector}"):
        listed = web.apps.list_stateful_set_for_all_namespaces(label_selector=selector).items

    with step("observe: web alone"):
        found = sorted((s.metadata.namespace, s.metadata.name, s.metadata.uid) for s in listed)
        assert found == [(web.namespace, "web", before.metadata.uid)], f"listed: {found}"

    with step(f"act: delete the collection of StatefulSets labelled {selector} in {web.namespace}"):
        web.apps.delete_collection_namespaced_stateful_set(web.namespace, label_selector=selector)

    with step("observe: web, web-0 and web-1 gone; db and db-0 untouched; the list empty"):
        wait_for(web.gone())
        for name, uid in sorted(web_uids.items()):
            left = web.core.list_namespaced_pod(web.namespace, field_selector=f"metadata.name={name}").items
            assert not left, (
                f"{name} (uid {uid}) deleted, but a pod {name} is there: uid {left[0].metadata.uid}"
            )
        still = db.read()
        assert still.metadata.uid == db_set.metadata.uid, f"db was replaced: uid {still.metadata.uid}"
        assert still.metadata.deletion_timestamp is None, (
            "db is being deleted with a collection not selecting it"
        )

        db_now = db.pods()
        assert sorted(db_now) == [0], f"db pods: {sorted(p.metadata.name for p in db_now.values())}"
        assert db_now[0].metadata.uid == db_pods[0].metadata.uid, "db-0 was replaced"
        after = web.apps.list_stateful_set_for_all_namespaces(label_selector=selector).items
        assert not after, f"still listed: {[(s.metadata.namespace, s.metadata.name) for s in after]}"
