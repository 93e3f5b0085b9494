"""spec.ordinals.start shifts a StatefulSet's pod names and indexes."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for
from fixtures.resources.statefulset_manifests import POD_INDEX_LABEL

pytestmark = pytest.mark.statefulset


def test_ordinals_start_shifts_the_names(make_statefulset, step) -> None:
    """With ordinals.start=5 and 3 replicas, the pods MUST be exactly web-5, web-6, web-7, with pod-index
    labels 5, 6, 7.

    Fails on: a cluster that ignores spec.ordinals (web-0..2 appear and are named as unexpected), or an
    API server that drops the field."""
    with step("act: create web with ordinals.start=5, 3 replicas"):
        web = make_statefulset("web", ordinals_start=5)
        stored = web.read()
        assert stored.spec.ordinals is not None and stored.spec.ordinals.start == 5, (
            "spec.ordinals was dropped"
        )
    with step("observe: exactly web-5, web-6, web-7 Ready, indexed 5..7"):
        _, pods = wait_for(web.ready(3, start=5))
        assert sorted(p.metadata.name for p in pods.values()) == ["web-5", "web-6", "web-7"]
        assert {o: p.metadata.labels[POD_INDEX_LABEL] for o, p in pods.items()} == {5: "5", 6: "6", 7: "7"}
