"""A pod with a hostname and a subdomain knows its own names without asking the DNS: the kubelet writes
``<hostname>.<subdomain>.<namespace>.svc.<cluster domain>`` and ``<hostname>`` into its /etc/hosts."""

from __future__ import annotations

import pytest

from clusters.kube.labels import APP_LABEL
from clusters.kube.waits import wait_for
from fixtures.resources.cluster_domain import cluster_domain_of, pod_fqdn

pytestmark = [pytest.mark.dns]


def hosts_names(hosts: str, address: str) -> set[str]:
    """Every name /etc/hosts gives ``address``."""
    return {
        name
        for line in hosts.splitlines()
        if (words := line.split("#")[0].split())[:1] == [address]
        for name in words[1:]
    }


@pytest.mark.upstream(
    "dns.go: should provide DNS for pods for Hostname",
    parity="stricter",
    note="the /etc/hosts line is read (the pod's own address with its full name and hostname), getent "
    "answers exactly the pod's address for both names, and the kernel hostname is the pod's hostname",
)
def test_a_pod_finds_its_own_full_name_and_hostname_in_its_hosts_file(
    make_headless_service, make_pod, step
) -> None:
    """With a headless Service web selecting pod member-a (hostname querier-a, subdomain web), the pod's
    /etc/hosts MUST give its own address the names querier-a.web.<ns>.svc.<domain> and querier-a, `getent
    hosts` in the pod MUST answer exactly that address for both names, and `hostname` MUST print querier-a.
    The domain is the one in the pod's own search path.

    Fails on: a kubelet that ignores spec.hostname or spec.subdomain when it writes the pod's /etc/hosts or
    sets its hostname (the file's lines and the names missing are named)."""
    with step("arrange: headless Service web and pod member-a (hostname querier-a, subdomain web), Ready"):
        make_headless_service("web")
        pod = make_pod("member-a", hostname="querier-a", subdomain="web", labels={APP_LABEL: "web"})
        ip = wait_for(pod.ready()).status.pod_ip
        fqdn = pod_fqdn(
            "querier-a", "web", pod.namespace, cluster_domain_of(pod.core, pod.namespace, pod.name)
        )
        fqdn = fqdn.rstrip(".")

    with step(f"observe: /etc/hosts gives {ip} the names {fqdn} and querier-a"):
        hosts = pod.exec(["cat", "/etc/hosts"])
        assert hosts.ok, f"cannot read /etc/hosts of {pod.subject}: {hosts.output}"
        step.attach(hosts.output, "/etc/hosts")
        missing = {fqdn, "querier-a"} - hosts_names(hosts.output, ip)
        assert not missing, (
            f"/etc/hosts of {pod.subject} does not give {ip} the names {sorted(missing)}:\n{hosts.output}"
        )

    with step("observe: getent hosts answers the pod's address for both names, hostname is querier-a"):
        for name in (fqdn, "querier-a"):
            found = pod.exec(["getent", "hosts", name])
            addresses = {line.split()[0] for line in found.output.splitlines() if line.split()}
            assert found.ok and addresses == {ip}, (
                f"getent hosts {name} in {pod.subject}: exit {found.returncode}, {found.output.strip()!r}; "
                f"expected exactly {ip}"
            )
        hostname = pod.exec(["hostname"])
        assert hostname.ok and hostname.output.strip() == "querier-a", f"hostname: {hostname.output!r}"
