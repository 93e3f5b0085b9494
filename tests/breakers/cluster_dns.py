"""Take the cluster DNS away for a while (a broken cluster), and bring it back: CoreDNS scaled to zero."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from kubernetes import client
from kubernetes.client.rest import ApiException

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

    def serving(self, endpoints: int, *, timeout: float = 60, service: str = DNS_SERVICE) -> Probe[None]:
        """The DNS Service (kube-dns unless named) has exactly ``endpoints`` ready endpoint addresses."""

        def check() -> None:
            slices = client.DiscoveryV1Api(self.api).list_namespaced_endpoint_slice(
                self.namespace, label_selector=f"kubernetes.io/service-name={service}"
            )
            ready = {
                address
                for endpoint_slice in slices.items
                for endpoint in endpoint_slice.endpoints or []
                if endpoint.conditions is None or endpoint.conditions.ready in (None, True)
                for address in endpoint.addresses or []
            }
            if len(ready) != endpoints:
                raise NotYet(f"{service} has {len(ready)} ready endpoint addresses: {sorted(ready)}")

        return self.probe(check, f"{endpoints} ready {service} endpoints", timeout=timeout)


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


def _create_claiming_ip(core: client.CoreV1Api, service: client.V1Service) -> client.V1Service:
    """Create the Service; NotYet while its clusterIP is still held by the Service just deleted."""
    namespace, name = service.metadata.namespace, service.metadata.name
    try:
        return core.create_namespaced_service(namespace, service)
    except ApiException as err:
        if err.status == 409:  # an earlier attempt was stored after all
            return core.read_namespaced_service(name, namespace)
        if err.status == 422 and "allocated" in str(err.body):
            raise NotYet(f"clusterIP {service.spec.cluster_ip} still allocated") from None
        raise


def dns_service_renamed(api: client.ApiClient, new_name: str) -> client.V1Service:
    """Name the cluster DNS Service as some distributions do: kube-system/kube-dns deleted and a Service
    ``new_name`` made with its clusterIP (which pods' resolv.conf points at), selector, ports and labels
    (k8s-app=kube-dns among them); returns once that Service has CoreDNS's Ready endpoints. Not undone:
    for a cluster a test brought up for itself."""
    core = client.CoreV1Api(api)
    old = core.read_namespaced_service(DNS_SERVICE, DNS_NAMESPACE)
    renamed = client.V1Service(
        metadata=client.V1ObjectMeta(name=new_name, namespace=DNS_NAMESPACE, labels=old.metadata.labels),
        spec=client.V1ServiceSpec(
            type="ClusterIP",
            cluster_ip=old.spec.cluster_ip,
            cluster_ips=old.spec.cluster_ips,
            ip_families=old.spec.ip_families,
            ip_family_policy=old.spec.ip_family_policy,
            selector=old.spec.selector,
            ports=old.spec.ports,
        ),
    )
    coredns = CoreDns(api, DNS_NAMESPACE, DNS_DEPLOYMENT)
    replicas = coredns.replicas()
    core.delete_namespaced_service(DNS_SERVICE, DNS_NAMESPACE)
    created = wait_for(
        Probe(
            lambda: _create_claiming_ip(core, renamed),
            f"created with clusterIP {old.spec.cluster_ip}",
            subject=f"v1 Service {DNS_NAMESPACE}/{new_name}",
            timeout=60,
            interval=0.5,
        )
    )
    wait_for(coredns.serving(replicas, service=new_name))
    return created
