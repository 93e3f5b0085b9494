"""Storage that does not outlive the pod: whenever a pod in the namespaces of one test is deleted, every
PersistentVolumeClaim it mounts is deleted with it, so the StatefulSet controller makes a fresh, empty
claim for the pod that replaces it (what an operator or a cleanup job that "frees" a deleted pod's volumes
does). The breaker polls the pods of those namespaces from a thread of its own and stops on exit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.kube.labels import TEST_LABEL

log = logging.getLogger(__name__)
POLL_INTERVAL = 0.2


class ClaimsDeletedWithPods:
    """What the breaker did: ``deleted`` lists ``<namespace>/<claim>`` in order."""

    def __init__(self, core: client.CoreV1Api, test_label: str) -> None:
        self.core = core
        self.test_label = test_label
        self.deleted: list[str] = []
        self._done: set[tuple[str, str]] = set()  # (pod uid, claim): each claim of a deleted pod once
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claims-deleted-with-pods", daemon=True)

    def _sweep(self) -> None:
        namespaces = self.core.list_namespace(label_selector=f"{TEST_LABEL}={self.test_label}").items
        for namespace in namespaces:
            name = namespace.metadata.name
            for pod in self.core.list_namespaced_pod(name).items:
                if pod.metadata.deletion_timestamp is None:
                    continue
                for volume in pod.spec.volumes or []:
                    claim = volume.persistent_volume_claim
                    if claim is None or (pod.metadata.uid, claim.claim_name) in self._done:
                        continue
                    self._done.add((pod.metadata.uid, claim.claim_name))
                    try:
                        self.core.delete_namespaced_persistent_volume_claim(claim.claim_name, name)
                    except ApiException as err:
                        if err.status != 404:
                            raise
                    self.deleted.append(f"{name}/{claim.claim_name}")

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._sweep()
            except ApiException as err:  # the breaker keeps breaking through a passing API error
                log.warning("claims-deleted-with-pods: %s", err)
            self._stopped.wait(POLL_INTERVAL)

    def start(self) -> ClaimsDeletedWithPods:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


@contextmanager
def claims_deleted_with_pods(core: client.CoreV1Api, test_label: str) -> Iterator[ClaimsDeletedWithPods]:
    """While inside, every claim a deleted pod of the namespaces labelled TEST_LABEL=``test_label``
    mounts is deleted along with it."""
    breaker = ClaimsDeletedWithPods(core, test_label).start()
    try:
        yield breaker
    finally:
        breaker.stop()
