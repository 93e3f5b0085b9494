"""The nodes a PersistentVolume allows follow its required node affinity, as the scheduler reads it, and
the scheduler's refusal is recognised in both its wordings."""

from __future__ import annotations

import pytest
from kubernetes.client import (
    V1Node,
    V1NodeSelector,
    V1NodeSelectorRequirement,
    V1NodeSelectorTerm,
    V1ObjectMeta,
    V1PersistentVolume,
    V1PersistentVolumeSpec,
    V1VolumeNodeAffinity,
)

from fixtures.resources.volumes import allowed_nodes, describe_node_affinity, mentions_volume_node_affinity

HOSTNAME, ZONE, DISK = "kubernetes.io/hostname", "topology.kubernetes.io/zone", "example.com/ssd"

NODES = [
    V1Node(metadata=V1ObjectMeta(name="w1", labels={HOSTNAME: "w1", ZONE: "a", DISK: "yes"})),
    V1Node(metadata=V1ObjectMeta(name="w2", labels={HOSTNAME: "w2", ZONE: "a"})),
    V1Node(metadata=V1ObjectMeta(name="w3", labels={HOSTNAME: "w3", ZONE: "b", DISK: "no"})),
]


def req(key: str, operator: str, *values: str) -> V1NodeSelectorRequirement:
    return V1NodeSelectorRequirement(key=key, operator=operator, values=list(values) or None)


def pv(*terms: V1NodeSelectorTerm) -> V1PersistentVolume:
    affinity = V1VolumeNodeAffinity(required=V1NodeSelector(node_selector_terms=list(terms)))
    return V1PersistentVolume(
        metadata=V1ObjectMeta(name="pv-1"), spec=V1PersistentVolumeSpec(node_affinity=affinity)
    )


def term(
    *expressions: V1NodeSelectorRequirement, fields: list[V1NodeSelectorRequirement] | None = None
) -> V1NodeSelectorTerm:
    return V1NodeSelectorTerm(match_expressions=list(expressions) or None, match_fields=fields)


def test_a_volume_without_node_affinity_allows_every_node() -> None:
    assert allowed_nodes(V1PersistentVolume(spec=V1PersistentVolumeSpec()), NODES) is None
    no_required = V1PersistentVolume(spec=V1PersistentVolumeSpec(node_affinity=V1VolumeNodeAffinity()))
    assert allowed_nodes(no_required, NODES) is None
    assert describe_node_affinity(no_required) == "none"


@pytest.mark.parametrize(
    ("requirement", "allowed"),
    [
        (req(HOSTNAME, "In", "w2"), {"w2"}),
        (req(ZONE, "In", "a", "b"), {"w1", "w2", "w3"}),
        (req(ZONE, "NotIn", "a"), {"w3"}),
        (req(DISK, "NotIn", "no"), {"w1", "w2"}),  # a node without the label is not in the set
        (req(DISK, "Exists"), {"w1", "w3"}),
        (req(DISK, "DoesNotExist"), {"w2"}),
        (req(HOSTNAME, "In", "gone"), set()),
    ],
)
def test_match_expressions_select_nodes_by_label(
    requirement: V1NodeSelectorRequirement, allowed: set[str]
) -> None:
    assert allowed_nodes(pv(term(requirement)), NODES) == allowed


def test_match_fields_select_a_node_by_name() -> None:
    assert allowed_nodes(pv(term(fields=[req("metadata.name", "In", "w3")])), NODES) == {"w3"}
    assert allowed_nodes(pv(term(fields=[req("metadata.name", "NotIn", "w3")])), NODES) == {"w1", "w2"}


def test_requirements_of_a_term_are_anded_and_terms_ored() -> None:
    assert allowed_nodes(pv(term(req(ZONE, "In", "a"), req(DISK, "Exists"))), NODES) == {"w1"}
    assert allowed_nodes(pv(term(req(HOSTNAME, "In", "w1")), term(req(ZONE, "In", "b"))), NODES) == {
        "w1",
        "w3",
    }
    mixed = term(req(ZONE, "In", "a"), fields=[req("metadata.name", "In", "w2")])
    assert allowed_nodes(pv(mixed), NODES) == {"w2"}


def test_an_empty_term_or_no_terms_allow_no_node() -> None:
    assert allowed_nodes(pv(term()), NODES) == set()
    assert allowed_nodes(pv(), NODES) == set()


def test_the_affinity_is_described_in_one_line() -> None:
    volume = pv(
        term(req(HOSTNAME, "In", "w1", "w2"), req(DISK, "Exists")),
        term(fields=[req("metadata.name", "In", "w3")]),
    )
    assert describe_node_affinity(volume) == (
        f"{HOSTNAME} In [w1, w2] and {DISK} Exists or field metadata.name In [w3]"
    )


@pytest.mark.parametrize(
    ("message", "mentions"),
    [
        (
            "0/3 nodes are available: 1 node(s) didn't match PersistentVolume's node affinity, 1 node(s) had "
            "untolerated taint(s), 1 node(s) were unschedulable. preemption: 0/3 nodes are available",
            True,
        ),
        (
            "0/3 nodes are available: 2 node(s) had volume node affinity conflict, 1 node(s) had taint.",
            True,
        ),
        ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.", False),
        ("0/3 nodes are available: 3 node(s) were unschedulable.", False),
        (None, False),
    ],
)
def test_the_schedulers_volume_refusal_is_recognised_in_both_wordings(
    message: str | None, mentions: bool
) -> None:
    assert mentions_volume_node_affinity(message) is mentions
