"""Deleting a DaemonSet removes its pods."""

from __future__ import annotations

import pytest

from clusters.kube.waits import wait_for

pytestmark = pytest.mark.daemonset


def test_deleting_the_daemonset_removes_its_pods(make_daemonset, step) -> None:
    """After the DaemonSet is deleted, every pod it owned (by UID) MUST be deleted.

    Fails on: a cluster whose garbage collector does not run (the pods stay, listed in the message)."""
    with step("arrange: a DaemonSet covering its nodes"):
        agent = make_daemonset("agent")
        _, _, by_node = wait_for(agent.covers_eligible_nodes())
        owned = [p for pods in by_node.values() for p in pods]
        assert owned, "the DaemonSet runs no pod whose deletion could be judged"

    with step("act: delete the DaemonSet"):
        agent.delete()

    with step(f"observe: all {len(owned)} pods it owned are gone"):
        wait_for(
            agent.pods_gone(owned).described(f"the {len(owned)} pods of the deleted DaemonSet to be gone")
        )
