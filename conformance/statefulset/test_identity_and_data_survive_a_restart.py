"""A StatefulSet's pods keep their identity through a restart of the whole set: scaled to 0 and back, each
ordinal comes back as a new pod under the same name and hostname, in the same Service domain, with its
index label, mounting the same claim and reading what the pod before it wrote there."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.claims import mounted_claim
from fixtures.resources.statefulset_manifests import DATA_DIR, POD_INDEX_LABEL, claim_name
from fixtures.resources.statefulsets import StatefulSet

pytestmark = [pytest.mark.statefulset, pytest.mark.storage]

REPLICAS = 3
HOSTNAME_FILE = f"{DATA_DIR}/hostname"
SYMLINK = f"{DATA_DIR}/hostname-symlink"


def run(web: StatefulSet, ordinal: int, script: str) -> str:
    """The output of ``sh -c script`` in the pod of ``ordinal``, which MUST exit 0."""
    result = web.pod(ordinal).exec(["sh", "-c", script])
    assert result.ok, f"{web.pod_name(ordinal)}: `{script}` exited {result.returncode}: {result.output}"
    return result.output.strip()


def check_identity(web: StatefulSet, pods: dict, service: str) -> None:
    """Each pod is named by its ordinal, `hostname` prints that name, its subdomain is the set's Service,
    its pod-index label is its ordinal, and it mounts its ordinal's claim."""
    assert sorted(pods) == list(range(REPLICAS)), f"pods {sorted(p.metadata.name for p in pods.values())}"
    for ordinal, pod in sorted(pods.items()):
        name = web.pod_name(ordinal)
        assert pod.metadata.name == name
        assert run(web, ordinal, "hostname") == name, f"{name}: `hostname` is not its name"
        assert pod.spec.hostname == name, f"{name}: spec.hostname {pod.spec.hostname!r}"
        assert pod.spec.subdomain == service, f"{name}: subdomain {pod.spec.subdomain!r}, not {service!r}"
        index = (pod.metadata.labels or {}).get(POD_INDEX_LABEL)
        assert index == str(ordinal), f"{name}: {POD_INDEX_LABEL}={index!r}"
        assert mounted_claim(pod) == claim_name("data", web.name, ordinal), (
            f"{name} mounts {mounted_claim(pod)}"
        )


@pytest.mark.upstream(
    "statefulset.go: should provide basic identity",
    parity="stricter",
    note="after the restart every pod is judged new by UID and its claim the same object (UID); hostname, "
    "subdomain, index label and claim judged before and after; Parallel where upstream is OrderedReady "
    "(identity does not depend on it)",
)
def test_identity_and_data_survive_a_restart_of_the_whole_set(make_statefulset_with_claims, step) -> None:
    """The pods of a StatefulSet web of 3 with a claim template MUST be web-0..web-2, each with `hostname`
    its name, subdomain the set's serviceName, pod-index label its ordinal and its own claim mounted and
    writable. Each writes its hostname to its volume (fsync) and a symlink to that file. Scaled to 0, every
    pod MUST go; scaled back to 3, web-0..web-2 MUST be new pods with the same identity, mounting the same
    claims (UIDs), and each MUST read its own hostname through the file and the symlink.

    Fails on: a cluster without dynamic provisioning (the claims stay Pending: they are named), a
    statefulset controller that names pods otherwise or gives them other hostnames, subdomains or index
    labels (the pod and the value are named), that gives a restarted pod a new claim (the claim is named),
    or storage that loses what was written (the pod and what it read are named)."""
    with step(f"arrange: web of {REPLICAS} with a claim template, every pod Ready and claim Bound"):
        web, pods, bound = make_statefulset_with_claims("web", replicas=REPLICAS)
        service = web.read().spec.service_name
        claims = {name: claim.metadata.uid for name, claim in bound.items()}
        assert len(claims) == REPLICAS, f"claims {sorted(claims)}"

    with step("observe: names, hostnames, subdomain, index labels and claims"):
        check_identity(web, pods, service)

    with step("act: each pod writes its hostname to its volume, fsync'ed, and links to it"):
        for ordinal in pods:
            run(
                web,
                ordinal,
                f"hostname | dd of={HOSTNAME_FILE} conv=fsync 2>/dev/null && ln -s {HOSTNAME_FILE} {SYMLINK}",
            )

    with step("act: restart the set: scale to 0, then back"):
        web.scale(0)
        wait_for(web.ready(0))
        web.scale(REPLICAS)

    with step("observe: new pods with the same identity and claims, reading their own hostnames"):
        _, after = wait_for(web.ready(REPLICAS, timeout=240))
        same = {o for o, p in after.items() if p.metadata.uid == pods[o].metadata.uid}
        assert not same, f"not restarted: {sorted(web.pod_name(o) for o in same)}"
        check_identity(web, after, service)
        now = {name: claim.metadata.uid for name, claim in web.claims().items()}
        assert now == claims, f"claims after the restart {now}, before {claims}"
        for ordinal in after:
            name = web.pod_name(ordinal)
            assert run(web, ordinal, f"cat {HOSTNAME_FILE}") == name, f"{name} reads another hostname"
            assert run(web, ordinal, f"cat {SYMLINK}") == name, f"{name} reads another hostname by the link"
