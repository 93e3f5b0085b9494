"""The StatefulSet canary guarantee fails, and says which pod went, on a cluster whose admission resets the
partition whenever a StatefulSet is updated.

The case binds a MutatingAdmissionPolicy to the guarantee's namespaces only, runs the guarantee in an inner
pytest against the live cluster, and removes the policy afterwards, also when the case fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from test_guarantees_fail_on_broken_clusters import broken_as, policy_for, run_guarantee

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.statefulset_manifests import rolling_update, statefulset_manifest

# Not disruptive: the breaker acts on the guarantee's namespaces only and no node changes, so the case
# runs beside other tests on the shared cluster.

CANARY_GUARANTEE = "conformance/statefulset/test_partition_canary.py"
CANARY_TEST = "test_partition_updates_only_ordinals_at_or_above_it"
#: CEL JSON patch a MutatingAdmissionPolicy applies: every StatefulSet updated rolls out to all its pods.
RESET_PARTITION = '[JSONPatch{op: "replace", path: "/spec/updateStrategy/rollingUpdate/partition", value: 0}]'
HAS_PARTITION = (
    "has(object.spec.updateStrategy.rollingUpdate) && has(object.spec.updateStrategy.rollingUpdate.partition)"
    " && object.spec.updateStrategy.rollingUpdate.partition > 0"
)


@contextmanager
def partition_reset_for(wc_cluster: ClusterUnderTest, test: str) -> Iterator[None]:
    """The MutatingAdmissionPolicy that sets the partition of every StatefulSet updated in the namespaces
    of ``test`` back to 0, seen in force (on a dry-run update of a set with a partition) before yielding."""
    policy = dict(
        group="apps",
        resource="statefulsets",
        operations=["UPDATE"],
        json_patch=RESET_PARTITION,
        condition=HAS_PARTITION,
    )
    with policy_for(wc_cluster, test, prefix="wc-reset-partition", **policy) as (name, namespace):
        manifest = statefulset_manifest(
            "plain", wc_cluster.toolbox_image, replicas=0, update_strategy=rolling_update(3)
        )
        wc_cluster.apps.create_namespaced_stateful_set(namespace, manifest)

        def in_force() -> None:
            patched = wc_cluster.apps.patch_namespaced_stateful_set(
                "plain", namespace, {"spec": {"minReadySeconds": 1}}, dry_run="All"
            )
            partition = patched.spec.update_strategy.rolling_update.partition
            if partition != 0:
                raise NotYet(f"a StatefulSet updated in {namespace} keeps partition {partition}")

        wait_for(
            Probe(in_force, "StatefulSets updated get partition 0", timeout=30, subject=f"policy {name}")
        )
        yield


def test_canary_is_broken_naming_the_replaced_pod_when_admission_resets_the_partition(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that sets the partition of every StatefulSet
    updated in the guarantee's namespaces back to 0, as "no half-done rollouts" policies do. The template
    change the guarantee sends is stored as sent (the partition is not part of it), but the controller
    then rolls out to every pod: the quiet window under partition=3 is broken naming web-2's deletion."""
    with partition_reset_for(wc_cluster, CANARY_TEST):
        result = run_guarantee(wc_cluster, f"{CANARY_GUARANTEE}::{CANARY_TEST}", timeout_scale=1)
    broken_as(
        result,
        r"HoldBroken: pod events of pods in \S+ with labels app\.kubernetes\.io/name=web: a pod was replaced "
        r"under partition=3 within [\d.]+s of a 5s window in which no pod created or deleted must hold: "
        r"\+\s*[\d.]+s \w+\s+web-2 uid=\w+ .*deletionTimestamp=",
    )
