"""The pure pieces behind the claim-ownership, multi-claim, affinity and EndpointSlice guarantees."""

from __future__ import annotations

from kubernetes import client

from fixtures.resources.claims import Owner, mounted_claims, owned_by, owner_reference, owners
from fixtures.resources.dns_answers import DnsQuestion, exactly, over_udp_and_tcp
from fixtures.resources.endpoint_slices import MANAGED_BY, MANAGED_BY_LABEL, endpoint_slice_manifest
from fixtures.resources.statefulset_manifests import (
    DATA_DIR,
    HOSTNAME_LABEL,
    statefulset_manifest,
    with_claim_templates,
    with_pod_affinity,
)


def test_owners_are_read_by_kind_name_uid_and_controller_flag() -> None:
    claim = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(
            owner_references=[
                client.V1OwnerReference(
                    api_version="apps/v1", kind="StatefulSet", name="web", uid="u1", controller=True
                ),
                client.V1OwnerReference(api_version="v1", kind="ConfigMap", name="other", uid="u2"),
            ]
        )
    )
    assert owners(claim) == {Owner("StatefulSet", "web", "u1"), Owner("ConfigMap", "other", "u2", False)}
    assert owners(client.V1PersistentVolumeClaim(metadata=client.V1ObjectMeta())) == set()


def test_an_owner_is_named_by_its_kind_and_uid_and_sent_back_as_a_reference() -> None:
    keeper = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="keeper", uid="u1"))
    owner = owned_by(keeper)
    assert owner == Owner("ConfigMap", "keeper", "u1", True)
    assert str(owner) == "ConfigMap/keeper uid u1 (controller)"
    ref = owner_reference(owner._replace(controller=False), "v1", block_owner_deletion=True)
    assert ref == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "keeper",
        "uid": "u1",
        "controller": False,
        "blockOwnerDeletion": True,
    }


def test_claim_templates_are_added_each_with_its_mount() -> None:
    manifest = with_claim_templates(
        statefulset_manifest("web", "toolbox", volume_claim="data"), ["vol0", "vol1"], storage_class="fast"
    )
    templates = manifest.spec.volume_claim_templates
    assert [t.metadata.name for t in templates] == ["data", "vol0", "vol1"]
    assert {t.spec.storage_class_name for t in templates[1:]} == {"fast"}
    mounts = {m.name: m.mount_path for m in manifest.spec.template.spec.containers[0].volume_mounts}
    assert mounts == {"data": DATA_DIR, "vol0": f"{DATA_DIR}/vol0", "vol1": f"{DATA_DIR}/vol1"}


def test_pod_affinity_or_anti_affinity_selects_the_sets_own_pods_by_hostname() -> None:
    for anti in (False, True):
        spec = with_pod_affinity(statefulset_manifest("web", "toolbox"), anti=anti).spec.template.spec
        chosen = spec.affinity.pod_anti_affinity if anti else spec.affinity.pod_affinity
        other = spec.affinity.pod_affinity if anti else spec.affinity.pod_anti_affinity
        (term,) = chosen.required_during_scheduling_ignored_during_execution
        assert term.topology_key == HOSTNAME_LABEL
        assert term.label_selector.match_labels == {"app.kubernetes.io/name": "web"}
        assert other is None


def test_a_hand_made_slice_is_of_its_address_family_and_left_alone_by_the_controller() -> None:
    v4 = endpoint_slice_manifest(
        "a", "web", address="192.0.2.10", hostname="first", port_name="http", port=80
    )
    v6 = endpoint_slice_manifest(
        "b", "web", address="2001:db8::10", hostname="second", port_name="https", port=443
    )
    assert (v4.address_type, v6.address_type) == ("IPv4", "IPv6")
    assert v4.metadata.labels == {"kubernetes.io/service-name": "web", MANAGED_BY_LABEL: MANAGED_BY}
    (endpoint,) = v6.endpoints
    assert (endpoint.addresses, endpoint.hostname, endpoint.conditions.ready) == (
        ["2001:db8::10"],
        "second",
        True,
    )
    assert [(p.name, p.port, p.protocol) for p in v6.ports] == [("https", 443, "TCP")]


def test_every_question_is_asked_over_udp_and_tcp() -> None:
    asked = over_udp_and_tcp({DnsQuestion("web", search=True): exactly({"10.0.0.1"})})
    assert set(asked) == {DnsQuestion("web", search=True), DnsQuestion("web", tcp=True, search=True)}


def test_mounted_claims_name_every_claim_volume() -> None:
    pod = client.V1Pod(
        spec=client.V1PodSpec(
            containers=[],
            volumes=[
                client.V1Volume(
                    name="vol0",
                    persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(
                        claim_name="vol0-web-0"
                    ),
                ),
                client.V1Volume(name="tmp", empty_dir=client.V1EmptyDirVolumeSource()),
            ],
        )
    )
    assert mounted_claims(pod) == {"vol0": "vol0-web-0"}
