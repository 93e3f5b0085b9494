"""The guarantees fail, and say why, on clusters where the promise is broken.

Each case breaks the live kind cluster on purpose, runs one guarantee in an inner pytest against it,
and mends the cluster afterwards, also when the case fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from breakers.admission import PolicyNotServed, mutating_policy
from breakers.cluster_dns import cluster_dns_scaled_to_zero
from breakers.storage_classes import default_classes, no_default_storage_class

from clusters.kube.waits import NotYet, Probe, wait_for
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.daemonsets import daemonset_manifest, format_toleration
from fixtures.resources.namespaces import TEST_LABEL, create_namespace, delete_namespace
from fixtures.resources.node_changes import NodeChanges
from fixtures.resources.nodes import free_workers
from fixtures.resources.pods import toolbox_pod

#: The cases that break the shared cluster as a whole (a node's taint, CoreDNS, the default class), or whose
#: guarantee changes nodes, run with the cluster to themselves; the surge case's admission acts on its
#: namespaces only, so it runs beside other tests.
disruptive = pytest.mark.disruptive
ROOT = Path(__file__).resolve().parent.parent


def run_guarantee(
    wc_cluster: ClusterUnderTest, test: str, timeout_scale: float = 0.2, extra: list[str] | None = None
) -> subprocess.CompletedProcess:
    """One guarantee against the cluster under test, with its waits shortened."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            test,
            "-p",
            "no:cacheprovider",
            "--wc-no-report",
            "-q",
            "--wc-provider",
            "existing",
            "--wc-kubeconfig",
            str(wc_cluster.kubeconfig),
            "--wc-toolbox-image",
            wc_cluster.toolbox_image,
            *(extra or []),
        ],
        cwd=ROOT,
        env={**os.environ, "WC_TIMEOUT_SCALE": str(timeout_scale)},
        capture_output=True,
        text=True,
        timeout=900,
    )


def broken_as(result: subprocess.CompletedProcess, failure: str) -> re.Match:
    """The guarantee's run MUST be broken (exit 1, the verdict line, no traceback) with a message matching
    ``failure``, which is printed (what a user sees, with pytest -s) and returned."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    found = re.search(failure, output)
    assert found, f"no failure matching {failure!r}:\n{output[-3000:]}"
    print(found[0])
    assert output.strip().splitlines()[-1] == "NOT CONFORMANT: 1 broken", output[-3000:]
    assert "Traceback" not in output
    return found


@contextmanager
def policy_for(wc_cluster: ClusterUnderTest, test: str, **policy: Any) -> Iterator[tuple[str, str]]:
    """A mutating admission policy (breakers.admission) bound to the namespaces of ``test``; yields its name
    and a namespace labelled as the guarantee's will be, to see the policy in force. Skips where the
    cluster serves no MutatingAdmissionPolicy."""
    probe_namespace = create_namespace(wc_cluster.core, test)
    try:
        label = wc_cluster.core.read_namespace(probe_namespace).metadata.labels[TEST_LABEL]
        with mutating_policy(wc_cluster.api, test_label=label, **policy) as name:
            yield name, probe_namespace
    except PolicyNotServed as err:
        pytest.skip(str(err))
    finally:
        delete_namespace(wc_cluster.core, probe_namespace)


NOEXECUTE_GUARANTEE = "conformance/daemonset/test_noexecute_taint_evicts_untolerating_pods.py"
NOEXECUTE_TEST = "test_noexecute_taint_evicts_only_the_untolerating_daemon_pod"
#: JSON patch a MutatingAdmissionPolicy applies: every DaemonSet created tolerates every taint.
TOLERATE_EVERYTHING = (
    '[JSONPatch{op: "add", path: "/spec/template/spec/tolerations", '
    'value: [Object.spec.template.spec.tolerations{operator: "Exists"}]}]'
)


@disruptive
def test_noexecute_eviction_is_broken_naming_the_rewritten_toleration_when_admission_tolerates_everything(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that gives every DaemonSet created in the
    guarantee's namespaces a catch-all toleration (operator Exists) in place of its own, as cluster-wide
    "tolerate everything" policies do. The guarantee reads back what it created and is broken before any
    pod exists: the catch-all toleration it never sent is named. A kube-controller-manager
    without its taint-eviction-controller does not break this
    guarantee: the daemonset controller deletes daemon pods on nodes with an untolerated NoExecute taint
    itself. The policy is bound by the namespaces' test label, so only the guarantee's namespaces see it."""
    policy = dict(
        prefix="wc-tolerate-everything",
        group="apps",
        resource="daemonsets",
        operations=["CREATE"],
        json_patch=TOLERATE_EVERYTHING,
    )
    with policy_for(wc_cluster, NOEXECUTE_TEST, **policy) as (name, namespace):

        def in_force() -> None:
            manifest = daemonset_manifest("plain", wc_cluster.toolbox_image)
            created = wc_cluster.apps.create_namespaced_daemon_set(namespace, manifest, dry_run="All")
            tolerations = created.spec.template.spec.tolerations or []
            if not any(t.operator == "Exists" and not t.key for t in tolerations):
                shown = ", ".join(format_toleration(t) for t in tolerations) or "none"
                raise NotYet(f"a DaemonSet created in {namespace} has tolerations {shown}")

        wait_for(
            Probe(
                in_force,
                "DaemonSets created get a catch-all toleration",
                timeout=30,
                subject=f"policy {name}",
            )
        )
        result = run_guarantee(wc_cluster, NOEXECUTE_GUARANTEE)
    broken_as(
        result,
        r"PremiseRewritten: apps/v1 DaemonSet \S+/plain created, but not as sent \(changed by admission\?\):"
        r"\s+(?:E\s+)?spec\.template\.spec\.tolerations: not sent, stored \[\{'operator': 'Exists'\}\]",
    )


OWN_SCOPE_GUARANTEE = "conformance/daemonset/test_own_selector_change_moves_coverage.py"
OWN_SCOPE_TEST = "test_changing_its_own_node_scope_moves_the_daemonset[nodeSelector]"
#: JSON patch a MutatingAdmissionPolicy applies: every DaemonSet updated keeps (or returns to) OnDelete.
KEEP_ON_DELETE = (
    '[JSONPatch{op: "replace", path: "/spec/updateStrategy", '
    'value: Object.spec.updateStrategy{type: "OnDelete"}}]'
)


@disruptive
def test_own_scope_change_is_broken_naming_the_strategy_when_admission_keeps_daemonsets_on_delete(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that sets every DaemonSet updated in the
    guarantee's namespaces back to the OnDelete strategy, as "no automatic rollouts" policies do. The
    guarantee reads back its patch (the scope and the switch to RollingUpdate, in one change) and is
    broken naming the strategy stored otherwise than sent."""
    policy = dict(group="apps", resource="daemonsets", operations=["UPDATE"], json_patch=KEEP_ON_DELETE)
    with policy_for(wc_cluster, OWN_SCOPE_TEST, prefix="wc-keep-on-delete", **policy) as (name, namespace):
        made = wc_cluster.apps.create_namespaced_daemon_set(
            namespace, daemonset_manifest("plain", wc_cluster.toolbox_image)
        )

        def in_force() -> None:
            patched = wc_cluster.apps.patch_namespaced_daemon_set(
                made.metadata.name, namespace, {"spec": {"minReadySeconds": 1}}, dry_run="All"
            )
            if patched.spec.update_strategy.type != "OnDelete":
                raise NotYet(f"a DaemonSet updated in {namespace} keeps {patched.spec.update_strategy.type}")

        wait_for(
            Probe(in_force, "DaemonSets updated go back to OnDelete", timeout=30, subject=f"policy {name}")
        )
        result = run_guarantee(wc_cluster, f"{OWN_SCOPE_GUARANTEE}::{OWN_SCOPE_TEST}")
    broken_as(
        result,
        r"PremiseRewritten: apps/v1 DaemonSet \S+/agent patched, but not as sent \(changed by admission\?\):"
        r"\s+(?:E\s+)?spec\.updateStrategy\.type: sent 'RollingUpdate', stored 'OnDelete'",
    )


SURGE_GUARANTEE = "conformance/daemonset/test_surge_percentage_holds_under_disruption.py"
SURGE_TEST = "test_surge_percentage_holds_while_pods_are_killed_and_made_unready"


def test_surge_rollout_is_broken_naming_each_pod_when_admission_rewrites_the_image_it_runs(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster with a MutatingAdmissionPolicy that gives every pod created in the guarantee's
    namespaces the toolbox image by its tag whatever image its template names, as registry-rewriting
    policies do. The rollout completes (the pods carry the new revision), but the kubelets never run the
    new image reference: the guarantee is broken naming each pod and the image it was given."""
    tag = wc_cluster.toolbox_image
    policy = dict(
        group="",
        resource="pods",
        operations=["CREATE"],
        json_patch=f'[JSONPatch{{op: "replace", path: "/spec/containers/0/image", value: "{tag}"}}]',
        condition=f'object.spec.containers[0].image != "{tag}"',
    )
    with policy_for(wc_cluster, SURGE_TEST, prefix="wc-image-by-tag", **policy) as (name, namespace):

        def in_force() -> None:
            pod = toolbox_pod("probe", "sha256:" + "0" * 64)
            created = wc_cluster.core.create_namespaced_pod(namespace, pod, dry_run="All")
            if created.spec.containers[0].image != tag:
                raise NotYet(f"a pod created in {namespace} runs {created.spec.containers[0].image}")

        wait_for(Probe(in_force, f"pods created get image {tag}", timeout=30, subject=f"policy {name}"))
        result = run_guarantee(wc_cluster, f"{SURGE_GUARANTEE}::{SURGE_TEST}", timeout_scale=1)
    failure = broken_as(result, r"AssertionError: pods not running the new image reference (\S+): (.*)")
    assert failure[1] != tag and f"spec {tag}, runs" in failure[2], failure[0]


DNS_GUARANTEE = "conformance/dns/test_headless_pod_records.py"


@disruptive
def test_headless_pod_records_fail_saying_the_lookup_found_no_server_when_coredns_is_scaled_to_zero(
    wc_cluster: ClusterUnderTest,
) -> None:
    """Breaks the cluster DNS by scaling kube-system/coredns to 0 (kube-dns keeps its ClusterIP but has no
    endpoint), runs the headless pod records guarantee, and scales CoreDNS back, waiting until it is Ready
    and serving kube-dns again, also when the case fails.

    kube-proxy rejects traffic to a Service without endpoints, so dig reports "connection refused" and
    "no servers could be reached" rather than a timeout; a proxy that drops the packets instead makes it
    time out. Either way the failure MUST name the lookup and say no DNS server answered it."""
    with cluster_dns_scaled_to_zero(wc_cluster.api):
        result = run_guarantee(wc_cluster, DNS_GUARANTEE)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    failure = re.search(
        r"timed out after [\d.]+s waiting for DNS from pod \S+: (web-0\.web\.\S+) answers exactly [\d.]+; "
        r"last seen: DNS lookup of \1 from pod \S+ "
        r"(timed out: no DNS server answered|failed: no DNS server could be reached)",
        output,
    )
    assert failure, f"no failure naming the lookup no DNS server answered:\n{output[-3000:]}"
    assert "Traceback" not in output


@disruptive
def test_storage_guarantees_are_not_verified_saying_why_when_there_is_no_default_storage_class(
    wc_cluster: ClusterUnderTest,
) -> None:
    with no_default_storage_class(wc_cluster.storage) as defaults:
        assert defaults, "the cluster under test has no default StorageClass to take away"
        assert default_classes(wc_cluster.storage) == []
        result = run_guarantee(wc_cluster, "conformance/statefulset/test_storage_follows_the_ordinal.py")
    assert default_classes(wc_cluster.storage) == defaults
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    last = output.strip().splitlines()[-1]
    assert last.startswith("NOT CONFORMANT: 1 not verified (no default StorageClass: found "), output[-3000:]
    assert "Traceback" not in output


@disruptive
def test_a_guarantee_is_not_verified_naming_every_node_when_all_nodes_are_tainted(
    wc_cluster: ClusterUnderTest, node_changes: NodeChanges
) -> None:
    nodes = sorted(n.metadata.name for n in wc_cluster.core.list_node().items)
    for node in nodes:
        if node in free_workers(wc_cluster.core, 0):
            node_changes.taint(node, "workload-conformance.io/all-tainted", "yes", "NoSchedule")
    result = run_guarantee(wc_cluster, "conformance/daemonset/test_cordoned_node_gets_its_pod.py")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    last = output.strip().splitlines()[-1]
    assert last.startswith(
        "NOT CONFORMANT: 1 not verified (needs 1 schedulable Linux worker(s) without NoSchedule/NoExecute "
        "taints, found 0 (out: "
    ), output[-3000:]
    for node in nodes:
        assert f"{node}: " in output, f"{node} is not named with why it is out:\n{output[-3000:]}"
    assert "Traceback" not in output
