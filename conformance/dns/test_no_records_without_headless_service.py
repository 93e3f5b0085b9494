"""A StatefulSet's pods get DNS names only through a headless Service: when its serviceName matches no
Service, no per-pod record exists."""

from __future__ import annotations

import allure
import pytest

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.dns import DnsProbe
from fixtures.resources.dns_answers import NOERROR, NXDOMAIN, dig_answer
from fixtures.resources.statefulsets import pod_fqdn, statefulset_manifest, wait_for_statefulset_ready

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]

CONTROL = "kubernetes.default.svc.cluster.local."


def test_pods_of_a_set_without_its_service_have_no_records(
    wc_cluster: ClusterUnderTest, namespace: str, dns_probe: DnsProbe
) -> None:
    """With serviceName nowhere and no Service of that name, once its pods are Ready
    orphan-N.nowhere.<ns>.svc.cluster.local MUST be NXDOMAIN (an answer from the DNS server: dig's header
    status) with no A record, for N = 0, 1, 2, while kubernetes.default resolves from the same pod (so the
    DNS server answers). A lookup no server answered fails with a "timed out" message: a timeout never
    counts as "no record".

    Fails on: a cluster DNS that invents records for pods outside any Service (the answer is named) and,
    as an inconclusive run, on one whose DNS does not answer (the timed-out lookup is named)."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step("arrange: StatefulSet orphan of 3 with serviceName nowhere, no such Service"):
        manifest = statefulset_manifest("orphan", wc_cluster.toolbox_image, service_name="nowhere")
        apps.create_namespaced_stateful_set(namespace, manifest)
        _, pods = wait_for_statefulset_ready(apps, core, namespace, "orphan", replicas=3)

    with allure.step(f"observe: the DNS server answers ({CONTROL})"):
        control = dig_answer(core, namespace, dns_probe.pod, CONTROL)
        assert control.status == NOERROR and control.addresses, f"control lookup: {control}"

    for pod in sorted(pods.values(), key=lambda p: p.metadata.name):
        fqdn = pod_fqdn(pod.metadata.name, "nowhere", namespace)
        with allure.step(f"observe: {fqdn} is NXDOMAIN"):
            answer = dig_answer(core, namespace, dns_probe.pod, fqdn)
            assert (answer.status, answer.addresses) == (NXDOMAIN, ()), (
                f"{pod.metadata.name} ({pod.status.pod_ip}) has a record without a Service: {answer}"
            )
