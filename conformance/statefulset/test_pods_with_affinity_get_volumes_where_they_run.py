"""Pod (anti-)affinity and node-local volumes decide together where a StatefulSet's pods run: with
required pod affinity every pod joins the first one's node, with required anti-affinity each takes a node
of its own, and either way each claim is provisioned where its pod runs (the StorageClass binds on first
consumer), under OrderedReady as under Parallel pod management."""

from __future__ import annotations

import pytest

from clusters.kube.verdicts import NotVerified
from clusters.kube.waits import wait_for
from fixtures.resources.claims import mounted_claims
from fixtures.resources.statefulset_manifests import (
    statefulset_manifest,
    with_claim_templates,
    with_pod_affinity,
)
from fixtures.resources.volumes import allowed_nodes, describe_node_affinity

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

REPLICAS = 3
#: Claims per pod: more than one, so each pod's volumes must all be where it runs.
TEMPLATES = ["vol1", "vol2"]


def _case(policy: str, anti: bool, spec: str) -> object:
    marks = [pytest.mark.upstream(f"persistent_volumes-local.go: {spec}", parity="stricter", note=NOTE)]
    if anti:
        marks.append(pytest.mark.min_workers(REPLICAS))
    return pytest.param(policy, anti, id=f"{policy}-{'anti-affinity' if anti else 'affinity'}", marks=marks)


NOTE = (
    "the pods judged by name and node; each pod's two claims Bound to PVs whose node affinity allows the "
    "node it runs on (upstream: only that the claims are Bound); dynamically provisioned node-local volumes, "
    "not pre-made local PVs"
)
SPREAD = "should use volumes spread across nodes when"
ONE_NODE = "should use volumes on one node when"


@pytest.mark.parametrize(
    ("policy", "anti"),
    [
        _case("OrderedReady", True, f"{SPREAD} pod has anti-affinity"),
        _case("OrderedReady", False, f"{ONE_NODE} pod has affinity"),
        _case("Parallel", True, f"{SPREAD} pod management is parallel and pod has anti-affinity"),
        _case("Parallel", False, f"{ONE_NODE} pod management is parallel and pod has affinity"),
    ],
)
def test_pods_with_affinity_run_where_their_volumes_are(
    wc_cluster, make_statefulset, storage_class_name, step, policy, anti
) -> None:
    """With a StatefulSet web of 3 (``policy`` pod management), two claim templates of the StorageClass
    under test and required pod affinity (anti-affinity) on the node's hostname among its own pods,
    web-0..web-2 MUST all be Running and Ready on one node (each on a node of its own), and each pod's two
    claims MUST be Bound to PVs whose node affinity allows the node the pod runs on.

    Fails on: a scheduler that ignores required pod (anti-)affinity (the nodes of the pods are named), or
    that places a pod away from its node-local volume, or a provisioner that makes the volume on another
    node than the pod's (the claim, its PV's node affinity and the pod's node are named). Not verified on
    storage whose volumes have no node affinity (nothing local to judge) or, for anti-affinity, with
    fewer than 3 schedulable workers."""
    kind = "anti-affinity" if anti else "affinity"
    manifest = with_pod_affinity(
        with_claim_templates(
            statefulset_manifest(
                "web", wc_cluster.toolbox_image, replicas=REPLICAS, pod_management_policy=policy
            ),
            TEMPLATES,
            storage_class=storage_class_name,
        ),
        anti=anti,
    )
    with step(f"act: StatefulSet web of {REPLICAS}, {policy}, two claims per pod, required pod {kind}"):
        web = make_statefulset("web", manifest=manifest)

    with step(f"observe: web-0..web-2 Ready, {'each on a node of its own' if anti else 'all on one node'}"):
        _, pods = wait_for(web.ready(REPLICAS, timeout=240))
        nodes = {pod.metadata.name: pod.spec.node_name for pod in pods.values()}
        step.attach("\n".join(f"{pod} {node}" for pod, node in sorted(nodes.items())), "where the pods run")
        assert len(nodes) == REPLICAS and all(nodes.values()), f"pods and nodes: {nodes}"
        if anti:
            assert len(set(nodes.values())) == REPLICAS, f"pods share a node despite anti-affinity: {nodes}"
        else:
            assert len(set(nodes.values())) == 1, f"pods on different nodes despite affinity: {nodes}"

    with step("observe: each pod's claims Bound to PVs that allow its node"):
        claims = {
            name: claim
            for template in TEMPLATES
            for name, claim in wait_for(web.claims_bound(template, REPLICAS)).items()
        }
        all_nodes = web.core.list_node().items
        local = []
        for pod in pods.values():
            mounted = sorted(mounted_claims(pod).values())
            assert len(mounted) == len(TEMPLATES), f"{pod.metadata.name} mounts {mounted}"
            for name in mounted:
                pv = web.core.read_persistent_volume(claims[name].spec.volume_name)
                allowed = allowed_nodes(pv, all_nodes)
                if allowed is None:
                    continue
                local.append(name)
                assert pod.spec.node_name in allowed, (
                    f"{pod.metadata.name} runs on {pod.spec.node_name}, but its claim {name} is on PV "
                    f"{pv.metadata.name} with node affinity {describe_node_affinity(pv)}"
                )
        if not local:
            raise NotVerified(
                f"no PV of {storage_class_name or 'the default StorageClass'} has node affinity: the volumes "
                "are reachable from every node, so none is local to judge",
                remedy="test a StorageClass of node-local volumes (--wc-storage-class), or leave this "
                "guarantee out on purpose with -k",
            )
