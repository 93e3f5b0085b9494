"""What the API server stored against what was sent: a rewritten field is named, defaulting is not."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.premise import PremiseRewritten, check_stored, rewritten
from fixtures.resources.daemonsets import daemonset_manifest
from fixtures.resources.statefulset_manifests import rolling_update, statefulset_manifest


def stored_copy(sent: client.V1StatefulSet) -> dict:
    """What a server returns for a StatefulSet it took as sent: the same values plus defaulted fields."""
    data = client.ApiClient().sanitize_for_serialization(sent)
    data["metadata"]["namespace"] = "ns"
    data["apiVersion"], data["kind"] = "apps/v1", "StatefulSet"
    data["spec"]["revisionHistoryLimit"] = 10
    data["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
    return data


def test_defaulted_fields_are_not_a_rewrite() -> None:
    sent = statefulset_manifest("web", "toolbox", update_strategy=rolling_update(max_unavailable=2))
    assert rewritten(client.ApiClient().sanitize_for_serialization(sent), stored_copy(sent)) == []


def test_a_lowered_max_unavailable_is_named_with_both_values() -> None:
    sent = statefulset_manifest("web", "toolbox", update_strategy=rolling_update(max_unavailable=2))
    stored = stored_copy(sent)
    stored["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 1
    with pytest.raises(PremiseRewritten) as failure:
        check_stored(sent, stored)
    assert str(failure.value).splitlines() == [
        "apps/v1 StatefulSet ns/web created, but not as sent (changed by admission?):",
        "  spec.updateStrategy.rollingUpdate.maxUnavailable: sent 2, stored 1",
    ]


def test_a_dropped_field_and_a_changed_list_item_are_named() -> None:
    sent = {
        "spec": {"podManagementPolicy": "Parallel", "template": {"spec": {"containers": [{"image": "a"}]}}}
    }
    stored = {"spec": {"template": {"spec": {"containers": [{"image": "b", "name": "x"}]}}}}
    assert rewritten(sent, stored) == [
        "spec.podManagementPolicy: sent 'Parallel', stored <absent>",
        "spec.template.spec.containers[0].image: sent 'a', stored 'b'",
    ]


def test_a_patch_directive_is_not_a_field() -> None:
    sent = {"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"image": "a"}]}}}}
    stored = {"spec": {"template": {"spec": {"containers": [{"image": "a", "name": "main"}]}}}}
    assert rewritten(sent, stored) == []


# --- fields admission adds to a created object --------------------------------------------------

POD_DEFAULTS = {"schedulerName": "default-scheduler", "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}
NOT_READY = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}


def stored_daemonset(sent: client.V1DaemonSet) -> dict:
    """A DaemonSet as the server returns it when it took it as sent: plus documented defaulting."""
    data = client.ApiClient().sanitize_for_serialization(sent)
    data["apiVersion"], data["kind"] = "apps/v1", "DaemonSet"
    data["metadata"]["namespace"] = "ns"
    spec = data["spec"]
    spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if spec["updateStrategy"]["type"] == "RollingUpdate":
        rolling = spec["updateStrategy"].setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec["revisionHistoryLimit"] = 10
    spec["template"]["spec"].update(POD_DEFAULTS)
    return data


def stored_statefulset(sent: client.V1StatefulSet) -> dict:
    data = stored_copy(sent)
    spec = data["spec"]
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {}})
    spec["updateStrategy"]["rollingUpdate"].setdefault("partition", 0)
    spec["updateStrategy"]["rollingUpdate"].setdefault("maxUnavailable", 1)
    spec["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Retain", "whenScaled": "Retain"}
    spec["template"]["spec"].update(POD_DEFAULTS)
    return data


def lines_of(sent: object, stored: dict, action: str = "created") -> list[str]:
    with pytest.raises(PremiseRewritten) as failure:
        check_stored(sent, stored, action)
    return str(failure.value).splitlines()[1:]


def test_documented_defaulting_of_a_daemonset_and_a_statefulset_is_not_an_addition() -> None:
    daemonset = daemonset_manifest("agent", "toolbox")
    check_stored(daemonset, stored_daemonset(daemonset))
    on_delete = daemonset_manifest(
        "agent", "toolbox", update_strategy=client.V1DaemonSetUpdateStrategy(type="OnDelete")
    )
    check_stored(on_delete, stored_daemonset(on_delete))
    statefulset = statefulset_manifest("web", "toolbox")
    check_stored(statefulset, stored_statefulset(statefulset))


def test_a_node_selector_and_a_toleration_added_to_a_daemonsets_pods_are_named() -> None:
    sent = daemonset_manifest("agent", "toolbox")
    stored = stored_daemonset(sent)
    stored["spec"]["template"]["spec"]["nodeSelector"]["pool"] = "edge"  # beside kubernetes.io/os, sent
    stored["spec"]["template"]["spec"]["tolerations"] = [{"operator": "Exists"}]
    assert lines_of(sent, stored) == [
        "  spec.template.spec.nodeSelector.pool: not sent, stored 'edge'",
        "  spec.template.spec.tolerations: not sent, stored [{'operator': 'Exists'}]",
    ]


def test_an_update_strategy_value_beyond_the_default_is_named_leaf_by_leaf() -> None:
    sent = daemonset_manifest("agent", "toolbox")
    stored = stored_daemonset(sent)
    stored["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"] = 1
    assert lines_of(sent, stored) == ["  spec.updateStrategy.rollingUpdate.maxSurge: not sent, stored 1"]

    sent = statefulset_manifest("web", "toolbox")
    stored = stored_statefulset(sent)
    stored["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 2
    stored["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"] = "Delete"
    stored["spec"]["template"]["spec"]["affinity"] = {"nodeAffinity": {"x": 1}}
    assert lines_of(sent, stored) == [
        "  spec.updateStrategy.rollingUpdate.partition: not sent, stored 2",
        "  spec.persistentVolumeClaimRetentionPolicy.whenScaled: not sent, stored 'Delete'",
        "  spec.template.spec.affinity: not sent, stored {'nodeAffinity': {'x': 1}}",
    ]


def test_a_pods_default_tolerations_are_not_named_and_a_foreign_one_is() -> None:
    sent = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"image": "a"}]},
    }
    stored = {**sent, "spec": {**sent["spec"], **POD_DEFAULTS, "tolerations": [NOT_READY, UNREACHABLE]}}
    check_stored(sent, stored)
    gpu = {"key": "gpu", "operator": "Exists"}
    sent_one = {**sent, "spec": {**sent["spec"], "tolerations": [gpu]}}
    check_stored(
        sent_one, {**stored, "spec": {**stored["spec"], "tolerations": [gpu, NOT_READY, UNREACHABLE]}}
    )
    foreign = {"key": "dedicated", "effect": "NoSchedule"}
    stored["spec"]["tolerations"] = [NOT_READY, UNREACHABLE, foreign]
    assert lines_of(sent, stored) == [f"  spec.tolerations: not sent, stored {[foreign]!r}"]


def test_a_patch_is_not_checked_for_additions() -> None:
    stored = stored_daemonset(daemonset_manifest("agent", "toolbox"))
    stored["spec"]["template"]["spec"]["nodeSelector"] = {"pool": "edge"}
    check_stored(
        {"spec": {"minReadySeconds": 5}},
        {**stored, "spec": {**stored["spec"], "minReadySeconds": 5}},
        "patched",
    )


def test_a_zero_value_the_server_omits_is_not_a_rewrite_and_a_dropped_one_is() -> None:
    sent = {"spec": {"minReadySeconds": 0, "paused": False, "replicas": 2}}
    assert rewritten(sent, {"spec": {}}) == ["spec.replicas: sent 2, stored <absent>"]
