"""A StatefulSet pod that failed (here: rejected by its kubelet, its host port taken) is deleted and made
again under the same name, and runs once the cause is gone."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from clusters.kube.labels import APP_LABEL
from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for
from fixtures.observation.event_recorder import PodRecord, deleted, failed, uids_of
from fixtures.resources.pods import bound_holding_host_port, toolbox_pod
from fixtures.resources.statefulset_manifests import statefulset_manifest

pytestmark = pytest.mark.statefulset

PORT = 21017
HOST_PORT_NEEDS = f"hostPort {PORT}: Pod Security's baseline and restricted levels forbid host ports"


def rejected_then_recreated(records: list[PodRecord]) -> tuple[PodRecord, str] | None:
    """The first Failed web-0 and the UID of a web-0 made after it, once that Failed pod is deleted."""
    first = failed(records, "web-0")
    if first is None or deleted(records, "web-0", first.uid) is None:
        return None
    uids = uids_of(records, "web-0")
    later = uids[uids.index(first.uid) + 1 :]
    return (first, later[0]) if later else None


@pytest.mark.pod_security("privileged", HOST_PORT_NEEDS)
@pytest.mark.upstream(
    "statefulset.go: Should recreate evicted statefulset",
    parity="stricter",
    note="the rejected web-0 is seen Failed and deleted and a new web-0 made, from the pod events; once the "
    "port is free web-0 runs Ready (not only Running) as a pod never seen Failed, and no other name is made",
)
def test_a_pod_its_kubelet_rejects_is_recreated_under_its_name(
    wc_cluster, namespace, make_pod, make_statefulset, pod_events, require_workers, step
) -> None:
    """With hostPort 21017 of a node held by another pod, a StatefulSet of 1 whose pod is bound to that
    node and asks for the same port gets web-0 rejected by the kubelet (phase Failed): the controller
    MUST delete that pod and make a new one under the same name web-0 (a new UID). Once the port is free,
    web-0 MUST run Ready as a pod never seen Failed, and the set MUST never have made a pod under another
    name.

    Fails on: a statefulset controller that leaves a Failed pod in place (web-0 stays Failed, named with
    the timeline) or replaces it under another name (the names are listed). Not verified where the
    cluster refuses a pod asking for a host port (a policy beyond Pod Security, named)."""
    node = require_workers(1)[0]
    image = wc_cluster.toolbox_image
    with step(f"arrange: pod port-holder holding hostPort {PORT} of {node}, Running"):
        holder_manifest = toolbox_pod("port-holder", image)
        bound_holding_host_port(holder_manifest.spec, node, PORT)
        try:
            holder = make_pod("port-holder", manifest=holder_manifest)
        except ApiException as err:
            if err.status != 403:
                raise
            raise NotVerified(
                f"the cluster refuses a pod asking for hostPort {PORT} in a namespace labelled for Pod "
                f"Security level privileged (PodSecurity allows it there; another policy does not): "
                f"{err.reason}: {err.body}",
                remedy="allow host ports in the suite's namespaces, or leave this guarantee out with -k",
            ) from None
        wait_for(holder.ready())
        recorder = pod_events(f"{APP_LABEL}=web")

    with step(f"act: a StatefulSet web of 1 whose pod is bound to {node} and asks for hostPort {PORT}"):
        manifest = statefulset_manifest("web", image, replicas=1)
        bound_holding_host_port(manifest.spec.template.spec, node, PORT)
        web = make_statefulset("web", manifest=manifest)

    with step("observe: web-0 Failed, deleted, and made again as a new web-0"):
        first, _ = wait_for(
            recorder.probe(rejected_then_recreated, "a web-0 Failed and deleted, then a new web-0 made")
        )

    with step(f"act: delete port-holder, freeing hostPort {PORT} of {node}"):
        holder.delete()
        wait_for(holder.gone())

    with step("observe: web-0 Running and Ready on its node, a pod never seen Failed; no other names"):
        _, pods = wait_for(web.ready(1))
        records = recorder.records
        rejected = {r.uid for r in records if r.name == "web-0" and r.phase == "Failed"}
        assert first.uid in rejected
        assert pods[0].metadata.uid not in rejected, f"web-0 {pods[0].metadata.uid} was seen Failed"
        assert pods[0].spec.node_name == node, f"web-0 runs on {pods[0].spec.node_name}, bound to {node}"
        names = sorted({r.name for r in records})
        assert names == ["web-0"], f"pods made under other names: {names}\n{recorder.timeline()}"
        step.attach(recorder.timeline(), "web pod events")
