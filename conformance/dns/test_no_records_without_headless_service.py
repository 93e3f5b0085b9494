"""A StatefulSet's pods get DNS names only through a headless Service: when its serviceName matches no
Service, no per-pod record exists."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.dns_answers import NOERROR, NXDOMAIN

pytestmark = [pytest.mark.dns, pytest.mark.statefulset]


def test_pods_of_a_set_without_its_service_have_no_records(
    make_statefulset, dns_probe, namespace, step
) -> None:
    """With serviceName nowhere and no Service of that name, once its pods are Ready
    orphan-N.nowhere.<ns>.svc.<cluster domain> MUST be NXDOMAIN (an answer from the DNS server: dig's header
    status) with no A record, for N = 0, 1, 2, while kubernetes.default resolves from the same pod (so the
    DNS server answers). A lookup no server answered fails with a "timed out" message: a timeout never
    counts as "no record".

    Fails on: a cluster DNS that invents records for pods outside any Service (the answer is named) and,
    as an inconclusive run, on one whose DNS does not answer (the timed-out lookup is named)."""
    with step("arrange: StatefulSet orphan of 3 with serviceName nowhere, no such Service"):
        _, pods = wait_for(make_statefulset("orphan", service_name="nowhere").ready(3))

    control_name = dns_probe.service_fqdn("kubernetes", "default")
    with step(f"observe: the DNS server answers ({control_name})"):
        control = dns_probe.answer(control_name)
        assert control.status == NOERROR and control.addresses, f"control lookup: {control}"

    for pod in sorted(pods.values(), key=lambda p: p.metadata.name):
        fqdn = dns_probe.pod_fqdn(pod.metadata.name, "nowhere")
        with step(f"observe: {fqdn} is NXDOMAIN"):
            answer = dns_probe.answer(fqdn)
            assert (answer.status, answer.addresses) == (NXDOMAIN, ()), (
                f"{pod.metadata.name} ({pod.status.pod_ip}) has a record without a Service: {answer}"
            )
