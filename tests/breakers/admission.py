"""Admission that rewrites what a guarantee sends: a MutatingAdmissionPolicy (CEL JSON patches) bound to the
namespaces carrying one test label, so only the guarantee under test sees it; removed on exit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from fixtures.resources.namespaces import TEST_LABEL


class PolicyNotServed(RuntimeError):
    """The cluster does not serve admissionregistration.k8s.io/v1 MutatingAdmissionPolicy."""


@contextmanager
def mutating_policy(
    api: client.ApiClient,
    prefix: str,
    *,
    group: str,
    resource: str,
    operations: list[str],
    json_patch: str,
    test_label: str,
    condition: str | None = None,
) -> Iterator[str]:
    """A MutatingAdmissionPolicy applying the CEL ``json_patch`` to ``resource`` of API ``group`` on
    ``operations`` (where the CEL ``condition`` holds, if given), bound to the namespaces whose test label
    is ``test_label``; yields its name. Raises PolicyNotServed where the API is not served."""
    admission = client.AdmissionregistrationV1Api(api)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    spec: dict = {
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [group],
                    "apiVersions": ["v1"],
                    "operations": operations,
                    "resources": [resource],
                }
            ]
        },
        "mutations": [{"patchType": "JSONPatch", "jsonPatch": {"expression": json_patch}}],
    }
    if condition:
        spec["matchConditions"] = [{"name": "only-these", "expression": condition}]
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {
            "policyName": name,
            "matchResources": {"namespaceSelector": {"matchLabels": {TEST_LABEL: test_label}}},
        },
    }
    try:
        admission.create_mutating_admission_policy(policy)
    except ApiException as err:
        if err.status == 404:
            raise PolicyNotServed(
                "the cluster does not serve admissionregistration.k8s.io/v1 MutatingAdmissionPolicy"
            ) from err
        raise
    try:
        admission.create_mutating_admission_policy_binding(binding)
        yield name
    finally:
        for delete in (
            admission.delete_mutating_admission_policy_binding,
            admission.delete_mutating_admission_policy,
        ):
            try:
                delete(name)
            except ApiException as err:
                if err.status != 404:
                    raise
