"""The toolbox check at the start of a run on an existing cluster: which image, the check pod, and how the
kubelet's answer about it is read."""

from __future__ import annotations

import pytest
from kubernetes import client

from clusters.kube.waits import Aborted, NotYet
from clusters.toolbox_image import REGISTRY_TOOLBOX
from fixtures.facts.toolbox import (
    DEFAULT,
    FOUND,
    GIVEN,
    ToolboxCheck,
    check_pod,
    choose_image,
    suite_toolbox_on_nodes,
    verdict_of,
)

SUITE = "localhost/workload-conformance/toolbox:44cebee98182"
OLDER = "localhost/workload-conformance/toolbox:0123456789ab"


def node_with(*names: list[str]) -> client.V1Node:
    images = [client.V1ContainerImage(names=list(n)) for n in names]
    return client.V1Node(metadata=client.V1ObjectMeta(name="n"), status=client.V1NodeStatus(images=images))


def test_the_suite_toolbox_on_the_most_nodes_is_chosen_and_digests_are_ignored() -> None:
    nodes = [
        node_with([SUITE], ["registry.k8s.io/pause:3.10"]),
        node_with([SUITE, "localhost/workload-conformance/toolbox@sha256:abc"]),
        node_with([OLDER]),
    ]
    assert suite_toolbox_on_nodes(nodes) == SUITE
    assert suite_toolbox_on_nodes([node_with(["registry.k8s.io/pause:3.10"]), client.V1Node()]) is None


def test_a_given_image_is_checked_as_given_without_reading_the_nodes() -> None:
    def nodes() -> list[client.V1Node]:
        raise AssertionError("the nodes must not be read when an image is given")

    assert choose_image("registry.example/toolbox:1", nodes) == ("registry.example/toolbox:1", GIVEN)
    assert choose_image(None, lambda: [node_with([SUITE])]) == (SUITE, FOUND)


def test_a_cluster_this_suite_did_not_build_gets_the_registry_served_default_and_the_line_says_so() -> None:
    chosen = choose_image(None, lambda: [node_with(["registry.k8s.io/pause:3.10"]), client.V1Node()])
    assert chosen == (REGISTRY_TOOLBOX, DEFAULT)
    line = ToolboxCheck(REGISTRY_TOOLBOX, "node-1", 2.25, DEFAULT).summary_line()
    assert line == (
        f"toolbox image {REGISTRY_TOOLBOX} (the default on a cluster this suite did not build) runs: "
        "checked on node node-1 in 2.2 s"
    )


def test_the_check_pod_is_admitted_by_pod_security_restricted_and_lands_on_any_linux_node() -> None:
    pod = check_pod("registry.example/toolbox:1")
    spec, container = pod.spec, pod.spec.containers[0]
    assert spec.restart_policy == "Never" and container.image == "registry.example/toolbox:1"
    assert spec.security_context.run_as_non_root and spec.security_context.run_as_user > 0
    assert spec.security_context.seccomp_profile.type == "RuntimeDefault"
    assert container.security_context.allow_privilege_escalation is False
    assert container.security_context.capabilities.drop == ["ALL"]
    assert not (container.volume_mounts or spec.volumes or spec.host_network or spec.host_pid)
    assert [t.operator for t in spec.tolerations] == ["Exists"] and spec.node_selector == {
        "kubernetes.io/os": "linux"
    }
    assert container.termination_message_policy == "FallbackToLogsOnError"


def pod_in(state: client.V1ContainerState, node: str | None = "wc-worker2") -> client.V1Pod:
    status = client.V1ContainerStatus(
        name="main", image="x", image_id="", ready=False, restart_count=0, state=state
    )
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name="toolbox-check"),
        spec=client.V1PodSpec(containers=[], node_name=node),
        status=client.V1PodStatus(phase="Pending", container_statuses=[status]),
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("ErrImagePull", 'failed to pull and unpack image "localhost/does-not/exist:1": connection refused'),
        ("ImagePullBackOff", 'Back-off pulling image "localhost/does-not/exist:1"'),
        ("InvalidImageName", 'couldn\'t parse image name "Bad Image"'),
        ("CreateContainerError", "failed to reserve container name"),
    ],
)
def test_an_image_the_kubelet_cannot_run_stops_the_wait_with_its_reason(reason: str, message: str) -> None:
    waiting = client.V1ContainerState(waiting=client.V1ContainerStateWaiting(reason=reason, message=message))
    with pytest.raises(Aborted) as caught:
        verdict_of(pod_in(waiting))
    assert str(caught.value) == f"{reason} on node wc-worker2: {message}"


def test_a_toolbox_that_lacks_a_tool_says_which() -> None:
    ended = client.V1ContainerStateTerminated(exit_code=1, reason="Error", message="lacks: dig nc\n")
    with pytest.raises(Aborted) as caught:
        verdict_of(pod_in(client.V1ContainerState(terminated=ended)))
    assert str(caught.value) == "Error 1 on node wc-worker2: lacks: dig nc"


def test_the_check_holds_once_its_container_exited_0_and_waits_before() -> None:
    done = client.V1ContainerState(terminated=client.V1ContainerStateTerminated(exit_code=0))
    assert verdict_of(pod_in(done)) == "wc-worker2"
    creating = client.V1ContainerState(waiting=client.V1ContainerStateWaiting(reason="ContainerCreating"))
    with pytest.raises(NotYet):
        verdict_of(pod_in(creating))
    with pytest.raises(NotYet):
        verdict_of(pod_in(client.V1ContainerState(), node=None))
