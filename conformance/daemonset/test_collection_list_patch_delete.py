"""DaemonSets are found across namespaces by label, patched, and deleted as a collection by label: only the
selected ones go, and every pod they controlled goes with them."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import wait_for
from fixtures.resources.daemonsets import DaemonSet, describe_pods

pytestmark = pytest.mark.daemonset

#: The label of the collection; its value is the test's namespace, so no other test's DaemonSets carry it.
COLLECTION_LABEL = "workload-conformance.io/collection"
#: The label the patch adds to one member.
PATCHED_LABEL = "workload-conformance.io/patched"


def listed(apps: client.AppsV1Api, selector: str) -> list[tuple[str, str, str]]:
    """(namespace, name, UID) of each DaemonSet of all namespaces ``selector`` selects, sorted."""
    found = apps.list_daemon_set_for_all_namespaces(label_selector=selector).items
    return sorted((d.metadata.namespace, d.metadata.name, d.metadata.uid) for d in found)


def covering(agent: DaemonSet) -> tuple[client.V1DaemonSet, list[client.V1Pod]]:
    """The DaemonSet once it covers its nodes, and the pods it controls (by controllerRef): the same pods
    as those covering the nodes, and at least one."""
    ds, _, by_node = wait_for(agent.covers_eligible_nodes())
    controlled = agent.controlled_pods(ds.metadata.uid)
    assert controlled, f"{agent.subject} controls no pod whose deletion could be judged"
    by_label = sorted(p.metadata.uid for pods in by_node.values() for p in pods)
    assert sorted(p.metadata.uid for p in controlled) == by_label, (
        f"{agent.subject}: the pods covering its nodes ({describe_pods(by_node)}) are not the pods it "
        f"controls: {', '.join(p.metadata.name for p in controlled)}"
    )
    return ds, controlled


@pytest.mark.upstream(
    "daemon_set.go: should list and delete a collection of DaemonSets",
    parity="stricter",
    note="listed across two namespaces by namespace, name and UID; a patch read back and listed by its "
    "label; every pod found by controllerRef UID gone by name and UID; unselected DaemonSets and their "
    "pods untouched",
)
def test_daemonsets_are_listed_patched_and_deleted_as_a_collection(
    make_daemonset, namespace, other_namespace, step
) -> None:
    """Of DaemonSets each covering its nodes, agent-1 and agent-2 here and agent-3 in another namespace
    carry one collection label; bystander here does not. Listing the DaemonSets of all namespaces by that
    label MUST return exactly the three (by namespace, name and UID). A label patched onto agent-2 MUST be
    stored, and listing by it MUST return agent-2 alone. Deleting the collection the label selects in this
    namespace MUST delete agent-1 and agent-2 (their UIDs gone) and every pod each controlled (found by
    controllerRef UID, not by label): each pod gone from the API by name and UID, and no pod of theirs made
    since left; the list by the label then returns agent-3 alone. agent-3 and bystander MUST stay the same
    objects, not being deleted, with the same pods.

    Fails on: an API server whose cross-namespace list, patch or deletecollection of DaemonSets is missing,
    or ignores the label selector or the namespace (the DaemonSets listed or deleted are named); a garbage
    collector that leaves a deleted DaemonSet's pods behind (each pod left is named, with its node)."""
    selector = f"{COLLECTION_LABEL}={namespace}"
    with step(f"arrange: agent-1, agent-2, agent-3 (another namespace) labelled {selector}; bystander"):
        collection = {COLLECTION_LABEL: namespace}
        members = [
            make_daemonset("agent-1", labels=collection),
            make_daemonset("agent-2", labels=collection),
            make_daemonset("agent-3", labels=collection, namespace=other_namespace),
        ]
        bystander = make_daemonset("bystander")
        made = {agent.subject: covering(agent) for agent in [*members, bystander]}
        agent_1, agent_2, agent_3 = members
        uid = {subject: ds.metadata.uid for subject, (ds, _) in made.items()}

    with step(f"act: list the DaemonSets of all namespaces labelled {selector}"):
        found = listed(agent_1.apps, selector)

    with step("observe: exactly agent-1, agent-2 and agent-3"):
        expected = sorted((a.namespace, a.name, uid[a.subject]) for a in members)
        assert found == expected, f"listed {found}, made {expected}"

    with step(f"act: patch the label {PATCHED_LABEL}=yes onto agent-2"):
        before = made[agent_2.subject][0]
        patched = agent_2.patch({"metadata": {"labels": {PATCHED_LABEL: "yes"}}})

    with step("observe: the patch stored on the same object, and listing by the label finds agent-2 alone"):
        assert patched.metadata.uid == uid[agent_2.subject], f"agent-2 has a new uid {patched.metadata.uid}"
        assert int(patched.metadata.resource_version) > int(before.metadata.resource_version), (
            f"resourceVersion {patched.metadata.resource_version} after the patch, "
            f"{before.metadata.resource_version} before"
        )
        assert agent_2.read().metadata.labels.get(PATCHED_LABEL) == "yes", "a read of agent-2 lacks the label"
        only = listed(agent_2.apps, f"{selector},{PATCHED_LABEL}=yes")
        assert only == [(namespace, "agent-2", uid[agent_2.subject])], f"listed by the patched label: {only}"

    with step(f"act: delete the collection of DaemonSets labelled {selector} in {namespace}"):
        agent_1.apps.delete_collection_namespaced_daemon_set(namespace, label_selector=selector)

    with step("observe: agent-1 and agent-2 gone, and every pod each controlled"):
        for agent in (agent_1, agent_2):
            wait_for(agent.deleted(uid=uid[agent.subject]))
            pods = made[agent.subject][1]
            wait_for(
                agent.pods_gone(pods, controlled_by=uid[agent.subject]).described(
                    f"the {len(pods)} pods of deleted {agent.subject} (uid {uid[agent.subject]}) to be gone"
                )
            )
        left = listed(agent_1.apps, selector)
        assert left == [(other_namespace, "agent-3", uid[agent_3.subject])], f"listed after deletion: {left}"

    with step("observe: agent-3 and bystander untouched, with the same pods"):
        for agent in (agent_3, bystander):
            ds, pods = made[agent.subject]
            now = agent.read()
            assert now.metadata.uid == ds.metadata.uid, (
                f"{agent.subject} was replaced: uid {now.metadata.uid}"
            )
            assert now.metadata.deletion_timestamp is None, f"{agent.subject} is being deleted"
            current = agent.controlled_pods(ds.metadata.uid)
            assert sorted(p.metadata.uid for p in current) == sorted(p.metadata.uid for p in pods), (
                f"{agent.subject}: pods {[p.metadata.name for p in pods]} before, "
                f"{[p.metadata.name for p in current]} now"
            )
            terminating = [p.metadata.name for p in current if p.metadata.deletion_timestamp]
            assert not terminating, f"{agent.subject}: pods being deleted: {terminating}"
