"""Objects are named as failure messages need them, and mismatches list one sorted field per line."""

from __future__ import annotations

from kubernetes.client import (
    CoreV1Event,
    V1DaemonSet,
    V1DaemonSetSpec,
    V1LabelSelector,
    V1Node,
    V1ObjectMeta,
    V1ObjectReference,
    V1Pod,
    V1PodTemplateSpec,
    V1StatefulSet,
    V1StatefulSetSpec,
)

from clusters.kube.names import api_version_and_kind, describe, ref


def statefulset(**fields) -> V1StatefulSet:
    spec = V1StatefulSetSpec(selector=V1LabelSelector(), template=V1PodTemplateSpec(), service_name="web")
    return V1StatefulSet(metadata=V1ObjectMeta(name="web", namespace="ns-1a2b"), spec=spec, **fields)


def test_describe_model_without_api_version_uses_its_class():
    """Items of a list response carry no apiVersion or kind."""
    assert describe(statefulset()) == "apps/v1 StatefulSet ns-1a2b/web"


def test_describe_model_with_api_version():
    assert (
        describe(statefulset(api_version="apps/v1", kind="StatefulSet")) == "apps/v1 StatefulSet ns-1a2b/web"
    )


def test_describe_cluster_scoped_and_core_objects():
    assert describe(V1Node(metadata=V1ObjectMeta(name="kind-worker"))) == "v1 Node kind-worker"
    assert describe(V1Pod(metadata=V1ObjectMeta(name="web-0", namespace="ns"))) == "v1 Pod ns/web-0"
    event = CoreV1Event(metadata=V1ObjectMeta(name="e1", namespace="ns"), involved_object=V1ObjectReference())
    assert describe(event) == "v1 Event ns/e1"
    agent = V1DaemonSet(
        metadata=V1ObjectMeta(name="agent", namespace="ns"),
        spec=V1DaemonSetSpec(selector=V1LabelSelector(), template=V1PodTemplateSpec()),
    )
    assert describe(agent) == "apps/v1 DaemonSet ns/agent"


def test_describe_dict():
    obj = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "ns-1a2b"},
    }
    assert describe(obj) == "apps/v1 StatefulSet ns-1a2b/web"
    assert describe({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}) == "v1 Node n1"
    snake = {"api_version": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}}
    assert describe(snake) == "v1 Pod ns/p"


def test_describe_custom_resource_dict():
    obj = {
        "apiVersion": "example.com/v1alpha1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "ns"},
    }
    assert describe(obj) == "example.com/v1alpha1 Widget ns/w"


def test_describe_unnamed_objects():
    assert describe(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-", "namespace": "ns"}}
    ) == ("v1 Pod ns/web-*")
    assert describe({"kind": "Pod"}) == "Pod <unnamed>"


def test_api_version_and_kind():
    assert api_version_and_kind(statefulset()) == ("apps/v1", "StatefulSet")
    assert api_version_and_kind({"apiVersion": "v1", "kind": "Service"}) == ("v1", "Service")
    assert api_version_and_kind({}) == ("", "")


def test_ref_names_an_object_the_way_messages_do():
    assert ref("StatefulSet", "ns", "web") == "apps/v1 StatefulSet ns/web"
    assert ref("Pod", "ns", "web-0") == "v1 Pod ns/web-0"
    assert ref("Node", None, "kind-worker") == "v1 Node kind-worker"
