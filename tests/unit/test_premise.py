"""What the API server stored against what was sent: a rewritten field is named, defaulting is not."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.premise import PremiseRewritten, check_stored, rewritten
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
