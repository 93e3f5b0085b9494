"""Labels and annotations this suite puts on what it makes, shared by the test harness and the cleanup
command (node-change markers live in clusters.kube.node_markers)."""

#: On every namespace the suite creates: ``wc-cluster cleanup`` deletes what carries it.
OWNED_NAMESPACE_LABEL = "workload-conformance.io/owned"
#: On every test namespace: the test it belongs to.
TEST_LABEL = "workload-conformance.io/test"
#: On every workload, pod and Service a guarantee makes: ``<name>``; selectors use it.
APP_LABEL = "app.kubernetes.io/name"
