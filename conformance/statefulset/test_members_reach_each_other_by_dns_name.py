"""The members of a StatefulSet find and reach each other by their stable per-pod DNS names, as the
members of a database replica set do: ``web-1.web`` from inside the namespace, and
``web-1.web.<namespace>.svc.cluster.local`` from anywhere."""

from __future__ import annotations

import allure
import pytest

from clusters.kube.labels import APP_LABEL
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pod_network import PROBE_PORT, wait_for_peers_by_name
from fixtures.resources.statefulsets import (
    headless_service_manifest,
    statefulset_manifest,
    wait_for_statefulset_ready,
)

pytestmark = [pytest.mark.statefulset, pytest.mark.dns, pytest.mark.network]


def test_each_member_resolves_and_connects_to_every_other_by_its_pod_dns_name(
    wc_cluster: ClusterUnderTest, namespace: str
) -> None:
    """With a headless Service web and a StatefulSet web of 3 (serviceName web) whose pods listen on TCP
    port 7000, each member web-N MUST, from inside its own container and through its own resolver,
    resolve every other member web-M both as web-M.web (completed by the pod's DNS search path) and as
    web-M.web.<namespace>.svc.cluster.local to web-M's pod IP, and open a TCP connection to it.

    Fails on: a cluster DNS that does not serve per-pod records of headless Services or a pod resolver
    without the namespace's search domain (``resolution failed``, with what dig saw: status NXDOMAIN, or
    "no servers could be reached" when no DNS server answers), stale records (``resolved to <IP>; not
    the pod's IP``), or a pod network that does not carry the connection (``connection failed``, with
    what nc said): every failing (member -> name) pair is named."""
    core, apps = wc_cluster.core, wc_cluster.apps
    with allure.step(f"arrange: headless Service web and StatefulSet web of 3 listening on TCP {PROBE_PORT}"):
        core.create_namespaced_service(namespace, headless_service_manifest("web", {APP_LABEL: "web"}))
        manifest = statefulset_manifest("web", wc_cluster.toolbox_image, listen_port=PROBE_PORT)
        apps.create_namespaced_stateful_set(namespace, manifest)
        wait_for_statefulset_ready(apps, core, namespace, "web", replicas=3)

    with allure.step("observe: each member resolves and connects to the other two by short name and FQDN"):
        ips = wait_for_peers_by_name(core, namespace, "web", "web", 3)
        allure.attach(
            "\n".join(f"{n} {ip}" for n, ip in sorted(ips.items())), "members", allure.attachment_type.TEXT
        )
