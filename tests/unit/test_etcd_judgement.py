"""How the clustered-database guarantees judge what etcd answered: the membership every member reports,
a writer's account of each write during a rollout, and the set-up writes that are tried again."""

from __future__ import annotations

import re

import pytest

from clusters.kube.waits import NotYet
from fixtures.resources.etcd import (
    EtcdError,
    Member,
    etcd_statefulset_manifest,
    judge_membership,
    peer_url,
    written,
)
from fixtures.resources.etcd_writer import Write, outages, quorum_gaps

PEERS = {f"etcd-{o}": peer_url(f"etcd-{o}", "etcd", "ns", "cluster.example") for o in range(3)}
MEMBERS = [Member(str(100 + o), f"etcd-{o}", (PEERS[f"etcd-{o}"],)) for o in range(3)]


def test_one_cluster_of_exactly_the_members_is_formed() -> None:
    seen = {name: ("c1", MEMBERS, str(100 + o)) for o, name in enumerate(sorted(PEERS))}
    formed = judge_membership(PEERS, seen)
    assert formed.cluster_id == "c1"
    assert formed.ids == {"etcd-0": "100", "etcd-1": "101", "etcd-2": "102"}


@pytest.mark.parametrize(
    ("seen", "said"),
    [
        ({"etcd-0": ("c1", MEMBERS, "100"), "etcd-1": ("c2", MEMBERS, "101")}, "different clusters"),
        ({"etcd-0": ("c1", MEMBERS[:2], "100")}, "etcd-0 lists"),
        ({"etcd-0": ("c1", [*MEMBERS, Member("9", "etcd-3", ("x",))], "100")}, "etcd-0 lists"),
        ({"etcd-0": ("c1", [*MEMBERS[:2], Member("102", "", ())], "100")}, "(unstarted)"),
        ({"etcd-0": ("c1", MEMBERS, "999")}, "etcd-0 serves as member 999, listed as 100"),
        (
            {"etcd-0": ("c1", [*MEMBERS[:2], Member("102", "etcd-2", ("http://10.0.0.1:2380",))], "100")},
            "peer URLs",
        ),
        ({}, "no member answered"),
    ],
)
def test_a_cluster_not_yet_formed_is_named(seen: dict, said: str) -> None:
    with pytest.raises(NotYet, match=re.escape(said)):
        judge_membership(PEERS, seen)


def test_the_manifest_names_members_by_their_per_pod_dns_names_without_a_shell() -> None:
    sts = etcd_statefulset_manifest("etcd", "etcd:x", namespace="ns", domain="cluster.example")
    container = sts.spec.template.spec.containers[0]
    assert container.command == ["etcd"]
    assert container.image_pull_policy == "IfNotPresent"
    assert (
        "--initial-cluster=etcd-0=http://etcd-0.etcd.ns.svc.cluster.example:2380,"
        "etcd-1=http://etcd-1.etcd.ns.svc.cluster.example:2380,etcd-2=http://etcd-2.etcd.ns.svc.cluster.example:2380"
    ) in container.args
    assert (
        "--initial-advertise-peer-urls=http://$(POD_NAME).etcd.$(POD_NAMESPACE).svc.cluster.example:2380"
        in (container.args)
    )
    assert sts.spec.template.spec.security_context.run_as_user == 65534
    assert sts.spec.pod_management_policy == "Parallel"


def _writes(pattern: str, step: float = 0.2) -> list[Write]:
    return [
        Write(f"w/{n}", f"v{n}", n * step, 0.05, None if c == "." else "HTTP 503")
        for n, c in enumerate(pattern)
    ]


def test_outages_are_runs_of_failed_writes_up_to_the_next_success() -> None:
    found = outages(_writes("..xx...x"))
    assert [(o.first.key, o.count) for o in found] == [("w/2", 2), ("w/7", 1)]
    assert found[0].seconds == pytest.approx(0.4)
    assert found[1].seconds == pytest.approx(0.05)  # to the end of the last write


def test_a_few_failed_writes_keep_quorum() -> None:
    assert quorum_gaps(_writes("....x.....x.....x...."), max_failed=6, max_outage=3.0) == []


def test_too_many_failed_writes_or_a_long_outage_are_named() -> None:
    gaps = quorum_gaps(_writes("...." + "x" * 20 + "...."), max_failed=6, max_outage=3.0)
    assert gaps[0] == "20 of 28 writes failed (at most 6 may)"
    assert "no write succeeded for 4.0s (at most 3.0s may pass) from +0.8s: 20 failed in a row" in gaps[1]
    assert "HTTP 503" in gaps[1]


class RefusesOnce:
    """Stands in for the etcd client: the first write of ``flaky`` times out, every other is acknowledged."""

    def __init__(self, flaky: str) -> None:
        self.flaky = flaky
        self.puts: list[str] = []

    def put(self, target: str, key: str, value: str) -> None:
        self.puts.append(key)
        if key == self.flaky and self.puts.count(key) == 1:
            raise EtcdError(f"{target} kv/put: ReadTimeoutError: read timed out")


def test_set_up_writes_are_tried_again_without_rewriting_what_was_acknowledged() -> None:
    etcd = RefusesOnce("b")
    probe = written(etcd, "pods/etcd-0", {"a": "1", "b": "2", "c": "3"}, subject="sts ns/etcd")  # type: ignore[arg-type]

    with pytest.raises(NotYet, match=r"2 of 3 keys not yet acknowledged; pods/etcd-0 kv/put: ReadTimeout"):
        probe.check()
    assert probe.check() == {"a": "1", "b": "2", "c": "3"}
    assert etcd.puts == ["a", "b", "b", "c"]
