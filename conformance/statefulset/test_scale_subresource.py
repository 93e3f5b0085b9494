"""A StatefulSet's scale subresource reads its replicas and sets them: what an autoscaler or `kubectl
scale` relies on."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.resources.statefulsets import StatefulSet

pytestmark = pytest.mark.statefulset


def followed(
    web: StatefulSet, scale: client.V1Scale, replicas: int, kept: dict[int, client.V1Pod]
) -> dict[int, client.V1Pod]:
    """Check that the scale written reads ``replicas``, that the set's spec.replicas is ``replicas`` and
    exactly web-0..web-<replicas-1> run Ready with the pods of ``kept`` the same; returns the pods."""
    assert scale.spec.replicas == replicas, f"the scale written reads spec.replicas {scale.spec.replicas}"
    stored = web.read().spec.replicas
    assert stored == replicas, f"spec.replicas {stored} after a scale of {replicas}"
    _, pods = wait_for(web.ready(replicas))
    for ordinal, pod in sorted(kept.items()):
        assert pods[ordinal].metadata.uid == pod.metadata.uid, (
            f"{pod.metadata.name} was replaced by a scale-up"
        )
    return pods


@pytest.mark.upstream(
    "statefulset.go: should have a working scale subresource",
    parity="stricter",
    note="the scale names the set (UID) and its selector; after each write the pods are judged by name "
    "(exactly web-0..web-N Ready, earlier ones the same UIDs) and the scale's status follows; a stale "
    "resourceVersion is refused with 409",
)
def test_scale_subresource_reads_and_sets_the_replicas(make_statefulset, step) -> None:
    """The scale subresource of web (1 Ready pod) MUST name the set (its UID) and
    report spec.replicas 1, status.replicas 1 and the set's selector. Replacing it with 2 replicas MUST set
    the set's spec.replicas to 2, after which exactly web-0 and web-1 run Ready; patching it to 4 MUST set
    spec.replicas to 4, after which exactly web-0..web-3 run Ready, web-0 and web-1 the same pods, and the
    scale reports status.replicas 4. A replace conditioned on a resourceVersion the set has moved past MUST
    be refused with 409 Conflict and change nothing.

    Fails on: an API server that does not serve the scale subresource of statefulsets or whose scale does
    not write through to spec.replicas (the replicas read back are named); a statefulset controller that
    does not act on the new count (the missing pods are named); a scale that ignores a stale
    resourceVersion (the replicas it let through are named)."""
    with step("arrange: a StatefulSet web of 1, Ready"):
        web = make_statefulset("web", replicas=1, pod_management_policy="Parallel")
        sts, pods = wait_for(web.ready(1))

    with step("observe: the scale subresource reports the set as it is"):
        scale = web.read_scale()
        assert (scale.metadata.name, scale.metadata.uid) == ("web", sts.metadata.uid), scale.metadata
        assert scale.spec.replicas == 1, f"scale spec.replicas {scale.spec.replicas}"
        assert scale.status.replicas == 1, f"scale status.replicas {scale.status.replicas}"
        assert scale.status.selector == f"{APP_LABEL}=web", f"scale status.selector {scale.status.selector!r}"

    with step("act: replace the scale with 2 replicas (unconditionally)"):
        replaced = web.replace_scale(2)

    with step("observe: spec.replicas 2, and exactly web-0 and web-1 Ready, web-0 the same pod"):
        two = followed(web, replaced, 2, pods)

    with step("act: replace the scale at its first resourceVersion, which the set has moved past"):
        try:
            web.replace_scale(5, resource_version=scale.metadata.resource_version)
        except ApiException as err:
            assert err.status == 409, (
                f"a stale scale update was refused with {err.status}, not 409: {err.reason}"
            )
        else:
            raise AssertionError(
                f"a scale update at resourceVersion {scale.metadata.resource_version}, older than the set's, "
                "was accepted"
            )
        unchanged = web.read().spec.replicas
        assert unchanged == 2, f"a refused scale update left spec.replicas {unchanged}"

    with step("act: patch the scale to 4 replicas"):
        patched = web.patch_scale(4)

    with step(
        "observe: spec.replicas 4, exactly web-0..web-3 Ready, web-0 and web-1 the same, the scale too"
    ):
        followed(web, patched, 4, two)
        after = web.read_scale()
        assert (after.spec.replicas, after.status.replicas) == (4, 4), (
            f"scale spec.replicas {after.spec.replicas}, status.replicas {after.status.replicas}"
        )
