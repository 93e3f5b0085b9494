"""A DaemonSet's ControllerRevisions are listed, read, patched, copied, updated and deleted like any object;
its controller recreates its current revision when that is deleted, and numbers a new template's revision
next."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.kube.handles import controller_uid
from clusters.kube.waits import wait_for
from fixtures.resources.controller_revisions import ControllerRevision, describe_revisions, revision_hash
from fixtures.resources.daemonsets import describe_pods

pytestmark = pytest.mark.daemonset

#: On the DaemonSet's template (so on its revisions) and on the copies; its value is the test's namespace.
COLLECTION_LABEL = "workload-conformance.io/collection"
PATCHED_LABEL = "workload-conformance.io/patched"
COPY_LABEL = "workload-conformance.io/copy"


def listed(apps: client.AppsV1Api, selector: str) -> list[tuple[str, str, str]]:
    """(namespace, name, UID) of each ControllerRevision of all namespaces ``selector`` selects, sorted."""
    found = apps.list_controller_revision_for_all_namespaces(label_selector=selector).items
    return sorted((r.metadata.namespace, r.metadata.name, r.metadata.uid) for r in found)


def entry(revision: client.V1ControllerRevision) -> tuple[str, str, str]:
    return revision.metadata.namespace, revision.metadata.name, revision.metadata.uid


@pytest.mark.upstream(
    "controller_revision.go: should manage the lifecycle of a ControllerRevision",
    parity="stricter",
    note="revisions by controllerRef UID and pod hash; data immutable; copies not adopted; the deleted "
    "current revision recreated with the same hash and number, pods kept; a new template numbered 2",
)
def test_controller_revisions_have_a_lifecycle_and_the_controller_keeps_its_own(
    make_daemonset, make_controller_revision, namespace, step
) -> None:
    """A DaemonSet covering its nodes MUST control (by controllerRef UID) exactly one ControllerRevision,
    number 1, whose hash every pod of it carries; listing ControllerRevisions of all namespaces by the
    DaemonSet's template label MUST find exactly that one, and reading it by name MUST return it. A label
    patched onto it MUST be stored. Two copies of its data (not matching the DaemonSet's selector) MUST be
    created as sent and listed beside it, and the DaemonSet MUST NOT take them over; updating a copy's
    revision number and labels MUST be stored, changing its data MUST be refused (422). A copy deleted by
    name MUST be gone (its UID); deleting the collection the label selects MUST delete the DaemonSet's
    revision and the other copy. The controller MUST then recreate its current revision: a new UID, the same
    hash (its pods not replaced), number 1 again (it controls no other). A template change MUST create a
    revision with a new hash numbered 2, keep number 1, and move every pod to the new hash.

    Fails on: a cluster whose kube-controller-manager runs without the daemonset controller (no revision
    is made: the message says it controls none); an API server whose ControllerRevision list, patch,
    update, delete or deletecollection is missing, ignores the label selector, or lets data change (the
    revisions listed and fields stored are named); a daemonset controller that does not recreate its
    deleted revision, adopts revisions its selector does not match, or numbers revisions otherwise (the
    revisions it controls are listed with their numbers and hashes)."""
    selector = f"{COLLECTION_LABEL}={namespace}"
    with step(f"arrange: DaemonSet agent, its template labelled {selector}, covering its nodes"):
        agent = make_daemonset("agent", labels={COLLECTION_LABEL: namespace})
        first = wait_for(agent.current_revision())
        ds, _, by_node = wait_for(agent.covers_eligible_nodes())
        pods = {p.metadata.uid: p for node_pods in by_node.values() for p in node_pods}
        assert pods, "the DaemonSet runs no pod whose revision could be judged"
        revisions = agent.revisions()
        assert [r.metadata.uid for r in revisions] == [first.metadata.uid], (
            f"ControllerRevisions it controls: {describe_revisions(revisions)}"
        )

    with step(f"act: list the ControllerRevisions of all namespaces labelled {selector}"):
        found = listed(agent.apps, selector)

    with step("observe: exactly its one revision, number 1, controlled by it, with its pods' hash"):
        assert found == [entry(first)], f"listed {found}; it controls {describe_revisions([first])}"
        assert first.revision == 1, f"its first revision is numbered {first.revision}"
        assert controller_uid(first) == ds.metadata.uid, f"controller uid {controller_uid(first)}"
        hashes = {revision_hash(p) for p in pods.values()}
        assert hashes == {revision_hash(first)}, f"pods {describe_pods(by_node)} carry hashes {hashes}"

    current = ControllerRevision(agent.api, namespace, first.metadata.name)
    with step(f"act: read {first.metadata.name} by name, and patch {PATCHED_LABEL}=yes onto it"):
        read = current.read()
        patched = current.patch({"metadata": {"labels": {PATCHED_LABEL: "yes"}}})

    with step("observe: the same revision read, the label stored with a newer resourceVersion"):
        assert (read.metadata.uid, read.revision, read.data) == (first.metadata.uid, 1, first.data)
        assert int(patched.metadata.resource_version) > int(read.metadata.resource_version), (
            f"resourceVersion {patched.metadata.resource_version} after the patch, "
            f"{read.metadata.resource_version} before"
        )
        assert current.read().metadata.labels.get(PATCHED_LABEL) == "yes", "a read lacks the patched label"

    with step("act: create copy-1 and copy-2 of its data, labelled for the collection only"):
        copies = [
            make_controller_revision(
                name,
                source=first,
                labels={COLLECTION_LABEL: namespace, COPY_LABEL: name},
                revision=first.revision + 1,
            )
            for name in ("copy-1", "copy-2")
        ]
        made = {c.name: c.read() for c in copies}

    with step("observe: listed beside its revision; the DaemonSet still controls only its own"):
        wanted = sorted([entry(first), *(entry(r) for r in made.values())])
        assert listed(agent.apps, selector) == wanted, f"listed {listed(agent.apps, selector)}"
        revisions = agent.revisions()
        assert [r.metadata.uid for r in revisions] == [first.metadata.uid], (
            f"ControllerRevisions it controls: {describe_revisions(revisions)}"
        )

    copy_1, copy_2 = copies
    with step("act: update copy-1's revision number to 7 and its copy label"):

        def renumber(revision: client.V1ControllerRevision) -> None:
            revision.revision = 7
            revision.metadata.labels[COPY_LABEL] = "updated"

        updated = copy_1.update(renumber)

    with step("observe: stored (read back); a change of its data refused"):
        assert (updated.revision, updated.metadata.labels[COPY_LABEL]) == (7, "updated")

        def change_data(revision: client.V1ControllerRevision) -> None:
            revision.data = {"spec": {"template": {"metadata": {"labels": {COPY_LABEL: "changed"}}}}}

        with pytest.raises(ApiException) as refused:
            copy_1.update(change_data)
        assert refused.value.status == 422, f"a data change answered {refused.value.status}"
        assert copy_1.read().data == first.data, "the data of copy-1 changed"

    with step("act: delete copy-1 by name"):
        copy_1.delete()

    with step("observe: copy-1 gone; its revision and copy-2 still listed"):
        wait_for(copy_1.deleted(uid=made["copy-1"].metadata.uid))
        wanted = sorted([entry(first), entry(made["copy-2"])])
        assert listed(agent.apps, selector) == wanted, f"listed {listed(agent.apps, selector)}"

    with step(f"act: delete the collection of ControllerRevisions labelled {selector} in {namespace}"):
        agent.apps.delete_collection_namespaced_controller_revision(namespace, label_selector=selector)

    with step("observe: its revision and copy-2 gone"):
        wait_for(current.deleted(uid=first.metadata.uid))
        wait_for(copy_2.deleted(uid=made["copy-2"].metadata.uid))

    with step("observe: the controller recreates its current revision: same hash, number 1, pods kept"):
        recreated = wait_for(agent.current_revision(replacing=first.metadata.uid))
        revisions = agent.revisions()
        assert [r.metadata.uid for r in revisions] == [recreated.metadata.uid], (
            f"ControllerRevisions it controls: {describe_revisions(revisions)}"
        )
        assert (revision_hash(recreated), recreated.revision) == (revision_hash(first), 1), (
            f"recreated as {describe_revisions([recreated])}, was {describe_revisions([first])}"
        )
        now = {p.metadata.uid for node_pods in agent.pods_by_node().values() for p in node_pods}
        assert now == set(pods), (
            f"pods replaced: {sorted(p.metadata.name for u, p in pods.items() if u not in now)}"
        )

    with step("act: change the pod template"):
        agent.patch_container({"name": "agent", "env": [{"name": "AGENT_REVISION", "value": "2"}]})

    with step("observe: revision 2 with a new hash, revision 1 kept, every pod at the new hash"):
        second = wait_for(agent.current_revision(replacing=recreated.metadata.uid))
        numbered = [(r.revision, revision_hash(r)) for r in agent.revisions()]
        assert numbered == [(1, revision_hash(recreated)), (2, revision_hash(second))], (
            f"ControllerRevisions it controls: {describe_revisions(agent.revisions())}"
        )
        assert revision_hash(second) != revision_hash(recreated), "the new template kept the old hash"
        wait_for(agent.all_pods_at_revision(revision_hash(second)))
