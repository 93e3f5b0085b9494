"""Each pod of a StatefulSet has a stable identity: its name is ``<set>-<ordinal>``, its hostname is that
name, and it carries labels naming itself and its ordinal."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.statefulset_manifests import POD_INDEX_LABEL, POD_NAME_LABEL

pytestmark = pytest.mark.statefulset


def test_pods_are_named_by_ordinal_with_matching_hostname_and_labels(make_statefulset, step) -> None:
    """A StatefulSet of 3 MUST run exactly the pods web-0, web-1 and web-2; inside each, `hostname` MUST
    print the pod's name, and its labels statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index
    MUST hold its name and ordinal.

    Fails on: a cluster whose statefulset controller names pods with random suffixes (the unexpected names
    are listed), does not set the pod's hostname from its name (the pod and what `hostname` printed are
    named), or omits the identity labels (the pod and its labels are named)."""
    with step("arrange: a StatefulSet web of 3"):
        web = make_statefulset("web")

    with step("act: wait until web-0, web-1 and web-2 are Running and Ready"):
        _, pods = wait_for(web.ready(3))

    with step("observe: each pod's name, hostname and identity labels"):
        assert sorted(p.metadata.name for p in pods.values()) == ["web-0", "web-1", "web-2"]
        for ordinal, pod in sorted(pods.items()):
            name = web.pod_name(ordinal)
            result = web.pod(ordinal).exec(["hostname"])
            assert result.ok, f"`hostname` in {name} exited {result.returncode}: {result.output}"
            assert result.output.strip() == name, f"{name}: `hostname` printed {result.output.strip()!r}"
            labels = pod.metadata.labels or {}
            assert labels.get(POD_NAME_LABEL) == name, (
                f"{name}: {POD_NAME_LABEL}={labels.get(POD_NAME_LABEL)!r}"
            )
            assert labels.get(POD_INDEX_LABEL) == str(ordinal), (
                f"{name}: {POD_INDEX_LABEL}={labels.get(POD_INDEX_LABEL)!r}, expected {str(ordinal)!r}"
            )
            assert pod.spec.hostname == name, f"{name}: spec.hostname {pod.spec.hostname!r}"
            assert pod.spec.subdomain == "web", (
                f"{name}: spec.subdomain {pod.spec.subdomain!r} != serviceName"
            )
