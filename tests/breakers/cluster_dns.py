"""Take the cluster DNS away for a while (a broken cluster), and bring it back: CoreDNS scaled to zero."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from kubernetes import client

from clusters.kube.handles import Handle
from clusters.kube.retry import retry_api
from clusters.kube.waits import NotYet, Probe, wait_for

DNS_NAMESPACE, DNS_DEPLOYMENT, DNS_SERVICE = "kube-system", "coredns", "kube-dns"


@dataclass
class CoreDns(Handle):
    """The kube-system/coredns Deployment behind the kube-dns Service; its probes carry kube-system's
    events."""

    kind: ClassVar[str] = "Deployment"

    def replicas(self) -> int:
        return self.apps.read_namespaced_deployment_scale(self.name, self.namespace).spec.replicas or 0

    def scale(self, replicas: int) -> None:
        retry_api(
            lambda: self.apps.patch_namespaced_deployment_scale(
                self.name, self.namespace, {"spec": {"replicas": replicas}}
            ),
            what=f"scale {self.subject} to {replicas}",
        )

    def ready(self, replicas: int, *, timeout: float = 180) -> Probe[client.V1Deployment]:
        """``replicas`` replicas Ready, available and updated, at the current generation."""

        def check() -> client.V1Deployment:
            deployment = self.apps.read_namespaced_deployment(self.name, self.namespace)
            status, generation = deployment.status, deployment.metadata.generation
            if (status.observed_generation or 0) < generation:
                raise NotYet(f"status.observedGeneration {status.observed_generation} < {generation}")
            seen = {
                "replicas": status.replicas or 0,
                "readyReplicas": status.ready_replicas or 0,
                "updatedReplicas": status.updated_replicas or 0,
                "availableReplicas": status.available_replicas or 0,
            }
            gaps = [f"status.{k}: {v} != {replicas}" for k, v in sorted(seen.items()) if v != replicas]
            if gaps:
                raise NotYet("; ".join(gaps))
            return deployment

        return self.probe(check, f"{replicas} CoreDNS replicas Ready", timeout=timeout)

    def serving(self, endpoints: int, *, timeout: float = 60) -> Probe[None]:
        """The kube-dns Service has exactly ``endpoints`` ready endpoint addresses."""

        def check() -> None:
            slices = client.DiscoveryV1Api(self.api).list_namespaced_endpoint_slice(
                self.namespace, label_selector=f"kubernetes.io/service-name={DNS_SERVICE}"
            )
            ready = {
                address
                for endpoint_slice in slices.items
                for endpoint in endpoint_slice.endpoints or []
                if endpoint.conditions is None or endpoint.conditions.ready in (None, True)
                for address in endpoint.addresses or []
            }
            if len(ready) != endpoints:
                raise NotYet(f"{DNS_SERVICE} has {len(ready)} ready endpoint addresses: {sorted(ready)}")

        return self.probe(check, f"{endpoints} ready {DNS_SERVICE} endpoints", timeout=timeout)


@contextmanager
def cluster_dns_scaled_to_zero(api: client.ApiClient) -> Iterator[int]:
    """Scale kube-system/coredns to 0 and wait until kube-dns has no ready endpoint; on leaving (also
    after an error) scale it back to the replicas it had and wait until they are Ready and serve as
    kube-dns endpoints again. Yields the replicas it had. Breaks DNS for every pod of the cluster."""
    coredns = CoreDns(api, DNS_NAMESPACE, DNS_DEPLOYMENT)
    replicas = coredns.replicas()
    try:
        coredns.scale(0)
        wait_for(coredns.serving(0, timeout=120))
        yield replicas
    finally:
        coredns.scale(replicas)
        wait_for(coredns.ready(replicas).described(f"{replicas} CoreDNS replicas Ready again"))
        wait_for(coredns.serving(replicas).described(f"{replicas} ready {DNS_SERVICE} endpoints again"))
