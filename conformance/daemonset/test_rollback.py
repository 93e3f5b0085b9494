"""Rolling a DaemonSet back to its previous template restarts no pod already on that template."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import NotYet, wait_for
from fixtures.resources.daemonsets import revision_hash

pytestmark = pytest.mark.daemonset

ABSENT_IMAGE = "localhost/workload-conformance/absent:never"


@pytest.mark.upstream(
    "daemon_set.go: should rollback without unnecessary restarts",
    parity="stricter",
    note="restarts judged by pod UID, not name; the previous ControllerRevision is reused, not copied",
)
def test_rollback_restores_the_previous_revision_without_restarts(make_daemonset, step) -> None:
    """After a rollout stuck on an image that cannot start, restoring the previous template MUST bring back
    the previous ControllerRevision (same hash) and MUST NOT restart any pod that never left it: their
    names and UIDs stay the same.

    Fails on: a cluster whose daemonset controller creates a new revision for an old template (hashes
    differ) or replaces pods that already run the old template (UIDs named in the message). Not verified
    with fewer than two eligible nodes."""
    with step("arrange: a DaemonSet covering its nodes at revision 1"):
        agent = make_daemonset("agent")
        ds, expected, by_node = wait_for(agent.covers_eligible_nodes())
        original_image = ds.spec.template.spec.containers[0].image
        original = {p.metadata.uid: p for pods in by_node.values() for p in pods}
        original_hash = {revision_hash(p) for p in original.values()}
        assert len(original_hash) == 1, f"pods on several revisions: {original_hash}"
        (original_hash,) = original_hash
        if len(expected) < 2:
            raise NotVerified(
                f"{len(expected)} eligible node(s) ({', '.join(sorted(expected)) or 'none'}): the stalled "
                "rollout replaces the only pod, so none is left on the original revision to not restart",
                remedy="run on a cluster with at least two schedulable workers",
            )

    with step("act: roll out an image that cannot start; the rollout stalls after one pod"):
        agent.patch_container({"name": "agent", "image": ABSENT_IMAGE})

        def stalled() -> dict[str, list[client.V1Pod]]:
            agent.generation_observed().check()
            pods = agent.pods_by_node()
            new = [
                p.metadata.name for node in pods.values() for p in node if revision_hash(p) != original_hash
            ]
            if len(new) != 1:
                raise NotYet(f"{len(new)} pods on the new revision: {new}")
            return pods

        stalled_pods = wait_for(
            agent.probe(stalled, "exactly one pod on the unstartable revision", timeout=120)
        )
        untouched = {
            p.metadata.uid
            for pods in stalled_pods.values()
            for p in pods
            if revision_hash(p) == original_hash
        }
        assert untouched, "no pod stayed on the original revision: no restart left to judge"

    with step("act: roll back to the previous template"):
        agent.patch_container({"name": "agent", "image": original_image})

    with step("observe: every pod back on the original revision, the untouched ones not restarted"):
        final = wait_for(agent.all_pods_at_revision(original_hash))
        assert set(final) == expected, f"covering {sorted(final)}, expected {sorted(expected)}"
        final_uids = {p.metadata.uid for pods in final.values() for p in pods}
        restarted = sorted(original[uid].metadata.name for uid in untouched - final_uids)
        assert not restarted, f"pods already on revision {original_hash} were replaced: {restarted}"
        revisions = agent.apps.list_namespaced_controller_revision(agent.namespace).items
        hashes = {(r.metadata.labels or {}).get("controller-revision-hash") for r in revisions}
        assert original_hash in hashes, f"ControllerRevision {original_hash} is gone: {hashes}"
