"""A claim on the default StorageClass binds, and its data outlives the pod that wrote it."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.resources.pods import create_pod_and_wait, delete_pod_and_wait, exec_in_pod, toolbox_pod

pytestmark = pytest.mark.storage

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def test_claim_binds_and_keeps_a_file_across_pod_deletion(
    wc_cluster: ClusterUnderTest, namespace: str
) -> None:
    classes = wc_cluster.storage.list_storage_class().items
    defaults = [
        c.metadata.name
        for c in classes
        if (c.metadata.annotations or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]
    assert defaults, f"no default StorageClass among {[c.metadata.name for c in classes]}"
    wc_cluster.core.create_namespaced_persistent_volume_claim(
        namespace,
        client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name="data"),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteOnce"],
                resources=client.V1VolumeResourceRequirements(requests={"storage": "16Mi"}),
            ),
        ),
    )
    writer = toolbox_pod("writer", wc_cluster.toolbox_image, volumes={"/data": "data"})
    create_pod_and_wait(wc_cluster.core, namespace, writer)
    assert exec_in_pod(wc_cluster.core, namespace, "writer", ["sh", "-c", "echo kept > /data/proof"]).ok

    claim = wc_cluster.core.read_namespaced_persistent_volume_claim("data", namespace)
    assert claim.status.phase == "Bound", f"claim data is {claim.status.phase}"
    volume = claim.spec.volume_name

    delete_pod_and_wait(wc_cluster.core, namespace, "writer")
    create_pod_and_wait(
        wc_cluster.core, namespace, toolbox_pod("reader", wc_cluster.toolbox_image, volumes={"/data": "data"})
    )
    read = exec_in_pod(wc_cluster.core, namespace, "reader", ["cat", "/data/proof"])
    assert read.ok and read.output.strip() == "kept", f"reader saw: {read.output!r}"
    assert (
        wc_cluster.core.read_namespaced_persistent_volume_claim("data", namespace).spec.volume_name == volume
    )
