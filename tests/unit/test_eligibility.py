"""The nodes a DaemonSet MUST cover follow the DaemonSet controller's rules, with specific reasons."""

from __future__ import annotations

import pytest
from kubernetes.client import (
    V1Affinity,
    V1Container,
    V1Node,
    V1NodeAffinity,
    V1NodeSelector,
    V1NodeSelectorRequirement,
    V1NodeSelectorTerm,
    V1NodeSpec,
    V1ObjectMeta,
    V1PodSpec,
    V1Taint,
    V1Toleration,
)

from fixtures.resources.eligibility import (
    AUTOMATIC_TOLERATIONS,
    NodeVerdict,
    automatic_tolerations,
    eligible_nodes,
    expected_node_names,
    node_matches_required_affinity,
    node_matches_selector,
    toleration_matches,
)

CONTROL_PLANE = V1Taint(key="node-role.kubernetes.io/control-plane", effect="NoSchedule")


def node(name: str, labels: dict[str, str] | None = None, taints=(), unschedulable: bool = False) -> V1Node:
    return V1Node(
        metadata=V1ObjectMeta(name=name, labels=labels or {}),
        spec=V1NodeSpec(taints=list(taints) or None, unschedulable=unschedulable or None),
    )


def spec(
    *,
    tolerations=(),
    node_selector: dict[str, str] | None = None,
    terms: list[V1NodeSelectorTerm] | None = None,
    host_network: bool = False,
) -> V1PodSpec:
    affinity = None
    if terms is not None:
        affinity = V1Affinity(
            node_affinity=V1NodeAffinity(
                required_during_scheduling_ignored_during_execution=V1NodeSelector(node_selector_terms=terms)
            )
        )
    return V1PodSpec(
        containers=[V1Container(name="app", image="registry.k8s.io/pause:3.10")],
        tolerations=list(tolerations) or None,
        node_selector=node_selector,
        affinity=affinity,
        host_network=host_network or None,
    )


def expr(key: str, operator: str, *values: str) -> V1NodeSelectorRequirement:
    return V1NodeSelectorRequirement(key=key, operator=operator, values=list(values) or None)


def term(*expressions: V1NodeSelectorRequirement, fields=()) -> V1NodeSelectorTerm:
    return V1NodeSelectorTerm(match_expressions=list(expressions) or None, match_fields=list(fields) or None)


def verdict(n: V1Node, pod_spec: V1PodSpec) -> NodeVerdict:
    [only] = eligible_nodes([n], pod_spec)
    return only


# --- taints and tolerations ----------------------------------------------------------------------


def test_control_plane_taint_excludes_node_unless_tolerated():
    nodes = [node("cp", taints=[CONTROL_PLANE]), node("w1"), node("w2")]
    assert expected_node_names(nodes, spec()) == {"w1", "w2"}
    assert verdict(nodes[0], spec()) == NodeVerdict(
        "cp", False, "taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"
    )
    tolerant = spec(tolerations=[V1Toleration(key=CONTROL_PLANE.key, operator="Exists", effect="NoSchedule")])
    assert expected_node_names(nodes, tolerant) == {"cp", "w1", "w2"}


def test_equal_toleration_needs_the_same_value():
    gpu = node("gpu", taints=[V1Taint(key="dedicated", value="gpu", effect="NoSchedule")])
    wrong = spec(
        tolerations=[V1Toleration(key="dedicated", operator="Equal", value="db", effect="NoSchedule")]
    )
    right = spec(
        tolerations=[V1Toleration(key="dedicated", operator="Equal", value="gpu", effect="NoSchedule")]
    )
    assert verdict(gpu, wrong).reason == "taint dedicated=gpu:NoSchedule not tolerated"
    assert verdict(gpu, right).eligible


def test_missing_operator_means_equal():
    taint = V1Taint(key="dedicated", value="gpu", effect="NoSchedule")
    assert toleration_matches(V1Toleration(key="dedicated", value="gpu"), taint)
    assert not toleration_matches(V1Toleration(key="dedicated"), taint)


def test_exists_toleration_matches_any_value():
    taint = V1Taint(key="dedicated", value="gpu", effect="NoSchedule")
    assert toleration_matches(V1Toleration(key="dedicated", operator="Exists", effect="NoSchedule"), taint)
    assert not toleration_matches(V1Toleration(key="other", operator="Exists"), taint)


def test_exists_with_empty_key_tolerates_every_taint():
    everything = V1Toleration(operator="Exists")
    taints = [
        CONTROL_PLANE,
        V1Taint(key="dedicated", value="gpu", effect="NoExecute"),
        V1Taint(key="x", value="y", effect="NoSchedule"),
    ]
    assert all(toleration_matches(everything, t) for t in taints)
    assert verdict(node("n", taints=taints), spec(tolerations=[everything])).eligible


def test_empty_effect_toleration_matches_all_effects():
    any_effect = V1Toleration(key="dedicated", operator="Equal", value="gpu")
    for effect in ("NoSchedule", "NoExecute", "PreferNoSchedule"):
        assert toleration_matches(any_effect, V1Taint(key="dedicated", value="gpu", effect=effect))


def test_toleration_effect_must_match_taint_effect():
    only_no_schedule = V1Toleration(key="dedicated", operator="Exists", effect="NoSchedule")
    n = node("n", taints=[V1Taint(key="dedicated", value="gpu", effect="NoExecute")])
    assert not toleration_matches(only_no_schedule, n.spec.taints[0])
    assert verdict(n, spec(tolerations=[only_no_schedule])).reason == (
        "taint dedicated=gpu:NoExecute not tolerated"
    )


def test_noexecute_taint_excludes_node():
    n = node("n", taints=[V1Taint(key="maintenance", effect="NoExecute")])
    assert verdict(n, spec()) == NodeVerdict("n", False, "taint maintenance:NoExecute not tolerated")


def test_prefer_no_schedule_taint_is_ignored():
    n = node("n", taints=[V1Taint(key="soft", value="yes", effect="PreferNoSchedule")])
    assert verdict(n, spec()).eligible


def test_cordoned_node_is_eligible():
    cordoned = node(
        "w1",
        unschedulable=True,
        taints=[V1Taint(key="node.kubernetes.io/unschedulable", effect="NoSchedule")],
    )
    assert verdict(cordoned, spec()) == NodeVerdict("w1", True, "")


@pytest.mark.parametrize(
    ("key", "effect"),
    [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ],
)
def test_condition_taints_are_tolerated_automatically(key, effect):
    assert verdict(node("n", taints=[V1Taint(key=key, effect=effect)]), spec()).eligible


def test_automatic_tolerations_are_exists_and_fresh_copies():
    assert all(t.operator == "Exists" for t in AUTOMATIC_TOLERATIONS)
    assert len(automatic_tolerations(False)) == 6
    keys = {t.key for t in automatic_tolerations(True)}
    assert "node.kubernetes.io/network-unavailable" in keys and len(keys) == 7
    copy = automatic_tolerations(False)
    copy[0].key = "mutated"
    assert AUTOMATIC_TOLERATIONS[0].key == "node.kubernetes.io/not-ready"


def test_network_unavailable_taint_tolerated_only_for_host_network_pods():
    n = node("n", taints=[V1Taint(key="node.kubernetes.io/network-unavailable", effect="NoSchedule")])
    assert (
        verdict(n, spec()).reason == "taint node.kubernetes.io/network-unavailable:NoSchedule not tolerated"
    )
    assert verdict(n, spec(host_network=True)).eligible


def test_automatic_tolerations_do_not_cover_other_effects():
    n = node("n", taints=[V1Taint(key="node.kubernetes.io/disk-pressure", effect="NoExecute")])
    assert not verdict(n, spec()).eligible


def test_numeric_toleration_operators():
    taint = V1Taint(key="capacity", value="5", effect="NoSchedule")
    assert toleration_matches(V1Toleration(key="capacity", operator="Lt", value="10"), taint)
    assert not toleration_matches(V1Toleration(key="capacity", operator="Gt", value="10"), taint)
    assert toleration_matches(V1Toleration(key="capacity", operator="Gt", value="4"), taint)
    assert not toleration_matches(V1Toleration(key="capacity", operator="Lt", value="ten"), taint)
    assert not toleration_matches(V1Toleration(key="capacity", operator="Bogus", value="5"), taint)


def test_every_untolerated_taint_is_named():
    n = node(
        "n",
        taints=[
            V1Taint(key="dedicated", value="gpu", effect="NoSchedule"),
            V1Taint(key="soft", effect="PreferNoSchedule"),
            V1Taint(key="drain", effect="NoExecute"),
        ],
    )
    assert verdict(n, spec()).reason == (
        "taint dedicated=gpu:NoSchedule not tolerated; taint drain:NoExecute not tolerated"
    )


# --- nodeSelector ---------------------------------------------------------------------------------


def test_node_selector_must_match_every_label():
    ssd = node("ssd", labels={"disktype": "ssd", "zone": "a"})
    hdd = node("hdd", labels={"disktype": "hdd", "zone": "a"})
    bare = node("bare")
    pod = spec(node_selector={"disktype": "ssd", "zone": "a"})
    assert node_matches_selector(ssd, {"disktype": "ssd"})
    assert not node_matches_selector(bare, {"disktype": "ssd"})
    assert node_matches_selector(bare, None)
    assert expected_node_names([ssd, hdd, bare], pod) == {"ssd"}
    assert verdict(hdd, pod).reason == "nodeSelector disktype=ssd does not match"
    assert verdict(bare, pod).reason == "nodeSelector disktype=ssd,zone=a does not match"


def test_reasons_combine_selector_affinity_and_taints():
    n = node("n", labels={"disktype": "hdd"}, taints=[CONTROL_PLANE])
    pod = spec(node_selector={"disktype": "ssd"}, terms=[term(expr("zone", "Exists"))])
    assert verdict(n, pod).reason == (
        "nodeSelector disktype=ssd does not match; required node affinity does not match; "
        "taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"
    )


# --- required node affinity -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "labels", "matches"),
    [
        (expr("zone", "In", "a", "b"), {"zone": "b"}, True),
        (expr("zone", "In", "a", "b"), {"zone": "c"}, False),
        (expr("zone", "In", "a"), {}, False),
        (expr("zone", "NotIn", "a"), {"zone": "b"}, True),
        (expr("zone", "NotIn", "a"), {"zone": "a"}, False),
        (expr("zone", "NotIn", "a"), {}, True),
        (expr("gpu", "Exists"), {"gpu": ""}, True),
        (expr("gpu", "Exists"), {}, False),
        (expr("gpu", "DoesNotExist"), {}, True),
        (expr("gpu", "DoesNotExist"), {"gpu": "yes"}, False),
        (expr("cores", "Gt", "4"), {"cores": "8"}, True),
        (expr("cores", "Gt", "8"), {"cores": "8"}, False),
        (expr("cores", "Gt", "4"), {"cores": "many"}, False),
        (expr("cores", "Gt", "4"), {}, False),
        (expr("cores", "Lt", "4"), {"cores": "2"}, True),
        (expr("cores", "Lt", "4"), {"cores": "-1"}, True),
        (expr("cores", "Lt", "4"), {"cores": "4"}, False),
        # Requirements the API rejects match nothing (the controller ignores parse errors).
        (expr("zone", "In"), {"zone": "a"}, False),
        (expr("gpu", "Exists", "yes"), {"gpu": "yes"}, False),
        (expr("cores", "Gt", "four"), {"cores": "8"}, False),
        (expr("cores", "Gt", "1", "2"), {"cores": "8"}, False),
        (expr("zone", "Near", "a"), {"zone": "a"}, False),
    ],
)
def test_affinity_operators(requirement, labels, matches):
    n = node("n", labels=labels)
    assert (
        node_matches_required_affinity(n, V1NodeSelector(node_selector_terms=[term(requirement)])) is matches
    )
    expected_reason = "" if matches else "required node affinity does not match"
    assert verdict(n, spec(terms=[term(requirement)])).reason == expected_reason


def test_expressions_in_a_term_are_anded():
    both = term(expr("zone", "In", "a"), expr("disktype", "In", "ssd"))
    assert verdict(node("n", labels={"zone": "a", "disktype": "ssd"}), spec(terms=[both])).eligible
    assert not verdict(node("n", labels={"zone": "a", "disktype": "hdd"}), spec(terms=[both])).eligible


def test_terms_are_ored():
    pod = spec(terms=[term(expr("zone", "In", "a")), term(expr("gpu", "Exists"))])
    nodes = [
        node("zone-a", labels={"zone": "a"}),
        node("gpu", labels={"zone": "b", "gpu": "t4"}),
        node("neither", labels={"zone": "b"}),
    ]
    assert expected_node_names(nodes, pod) == {"zone-a", "gpu"}
    assert eligible_nodes(nodes, pod)[2] == NodeVerdict(
        "neither", False, "required node affinity does not match"
    )


def test_match_fields_metadata_name():
    pod = spec(terms=[term(fields=[expr("metadata.name", "In", "w2")])])
    nodes = [node("w1"), node("w2"), node("w3")]
    assert expected_node_names(nodes, pod) == {"w2"}
    not_w2 = spec(terms=[term(fields=[expr("metadata.name", "NotIn", "w2")])])
    assert expected_node_names(nodes, not_w2) == {"w1", "w3"}


def test_match_fields_and_expressions_in_one_term_are_anded():
    pod = spec(terms=[term(expr("zone", "In", "a"), fields=[expr("metadata.name", "In", "w1")])])
    nodes = [node("w1", labels={"zone": "a"}), node("w2", labels={"zone": "a"}), node("w1b", labels={})]
    assert expected_node_names(nodes, pod) == {"w1"}


def test_invalid_match_fields_match_nothing():
    several = spec(terms=[term(fields=[expr("metadata.name", "In", "w1", "w2")])])
    exists = spec(terms=[term(fields=[expr("metadata.name", "Exists")])])
    nodes = [node("w1"), node("w2")]
    assert expected_node_names(nodes, several) == set()
    assert expected_node_names(nodes, exists) == set()


def test_empty_term_matches_nothing_but_others_still_count():
    pod = spec(terms=[V1NodeSelectorTerm(), term(expr("zone", "In", "a"))])
    nodes = [node("a", labels={"zone": "a"}), node("b", labels={"zone": "b"})]
    assert expected_node_names(nodes, pod) == {"a"}
    assert expected_node_names(nodes, spec(terms=[V1NodeSelectorTerm()])) == set()


def test_no_required_affinity_matches_every_node():
    assert node_matches_required_affinity(node("n"), None)
    assert node_matches_required_affinity(node("n"), V1Affinity())


def test_preferred_affinity_is_ignored():
    pod = spec()
    pod.affinity = V1Affinity(
        node_affinity=V1NodeAffinity(preferred_during_scheduling_ignored_during_execution=[])
    )
    assert verdict(node("n"), pod).eligible


def test_template_node_name_pins_the_pod():
    pod = spec()
    pod.node_name = "w2"
    assert expected_node_names([node("w1"), node("w2")], pod) == {"w2"}
    assert verdict(node("w1"), pod).reason == "nodeName w2 names another node"


def test_kind_like_cluster():
    """One tainted control plane and two workers, one cordoned: the workers are expected."""
    nodes = [
        node("kind-control-plane", labels={"kubernetes.io/os": "linux"}, taints=[CONTROL_PLANE]),
        node("kind-worker", labels={"kubernetes.io/os": "linux"}),
        node("kind-worker2", labels={"kubernetes.io/os": "linux"}, unschedulable=True),
    ]
    pod = spec(node_selector={"kubernetes.io/os": "linux"})
    assert expected_node_names(nodes, pod) == {"kind-worker", "kind-worker2"}
    assert [str(v) for v in eligible_nodes(nodes, pod)] == [
        "kind-control-plane: excluded (taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated)",
        "kind-worker: eligible",
        "kind-worker2: eligible",
    ]
