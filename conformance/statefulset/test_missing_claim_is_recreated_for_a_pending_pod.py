"""A StatefulSet pod that waits Pending for want of its claim is not stuck for ever: the controller makes
the missing claim again from the volume claim template, and the pod then runs on a new volume."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import NotYet, wait_for
from fixtures.resources.claims import mounted_claim
from fixtures.resources.nodes import free_workers
from fixtures.resources.pods import pod_state
from fixtures.resources.statefulset_manifests import HOSTNAME_LABEL, claim_name
from fixtures.resources.statefulsets import CLAIM_TEMPLATE, StatefulSet
from fixtures.resources.volumes import refused_by_scheduler

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

CLAIM = claim_name(CLAIM_TEMPLATE, "web", 0)


def old_claim_deleted(web: StatefulSet, uid: str) -> client.V1PersistentVolumeClaim | None:
    """A check: data-web-0 is no longer the claim ``uid`` (gone, or made again); returns what is there."""
    claim = web.claims().get(CLAIM)
    if claim is not None and claim.metadata.uid == uid:
        state = "being deleted" if claim.metadata.deletion_timestamp else claim.status.phase
        raise NotYet(f"{CLAIM} is still uid {uid} ({state})")
    return claim


@pytest.mark.disruptive
@pytest.mark.upstream(
    "statefulset.go: PVC should be recreated when pod is pending due to missing PVC",
    parity="stricter",
    note="the deleted claim is judged gone by UID and the one made again is another object, Bound and "
    "mounted by web-0; web-0 is seen Pending with the scheduler's reason first, and Ready on its node after",
)
def test_a_claim_deleted_under_a_pending_pod_is_made_again(
    make_statefulset_with_claims, node_changes, step
) -> None:
    """With a StatefulSet web of 1 pinned to one worker (nodeSelector on its hostname) and its claim
    data-web-0 Bound, cordoning that worker and deleting web-0 MUST leave a new web-0 Pending, unscheduled,
    with a FailedScheduling event. Deleting data-web-0 then MUST succeed (no scheduled pod uses it), and
    once the worker is uncordoned the controller MUST make data-web-0 again (another UID), Bound, and web-0
    MUST run Ready on that worker mounting it.

    Fails on: a statefulset controller that does not make a missing claim for a Pending pod (web-0 stays
    Pending on "persistentvolumeclaim not found": the last state is named), or a claim kept by the
    protection finalizer for a pod that was never scheduled (the claim still there is named)."""
    with step("arrange: StatefulSet web of 1 pinned to a worker, its claim Bound"):
        node = free_workers(node_changes.core)[0]
        web, pods, bound = make_statefulset_with_claims(
            "web", replicas=1, node_selector={HOSTNAME_LABEL: node}
        )
        assert pods[0].spec.node_name == node, f"web-0 runs on {pods[0].spec.node_name}, not {node}"
        old_pod, old_claim = pods[0].metadata.uid, bound[CLAIM].metadata.uid

    with step(f"act: cordon {node} and delete web-0"):
        node_changes.cordon(node)
        web.delete_pod(0)

    with step("observe: the new web-0 is Pending, not scheduled, saying why"):
        _, event = wait_for(refused_by_scheduler(web.pod(0), old_pod))
        step.attach(f"{event.reason}: {event.message}", "why web-0 is Pending")

    with step(f"act: delete {CLAIM}, then uncordon {node}"):
        web.core.delete_namespaced_persistent_volume_claim(CLAIM, web.namespace)
        wait_for(web.probe(lambda: old_claim_deleted(web, old_claim), f"{CLAIM} uid {old_claim} deleted"))
        node_changes.undo_all()

    with step(f"observe: {CLAIM} made again and Bound; web-0 Ready on {node}, mounting it"):
        _, now = wait_for(web.ready(1, timeout=180))
        claim = wait_for(web.claims_bound(CLAIM_TEMPLATE, 1))[CLAIM]
        assert claim.metadata.uid != old_claim, f"{CLAIM} is still the deleted claim {old_claim}"
        pod = now[0]
        assert pod.spec.node_name == node, f"web-0 runs on {pod.spec.node_name}, not {node}: {pod_state(pod)}"
        assert mounted_claim(pod) == CLAIM, f"web-0 mounts {mounted_claim(pod)}"
