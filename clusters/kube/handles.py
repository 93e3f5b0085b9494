"""A handle on one namespaced object: what it is called in messages, and probes about it that carry that
name and the namespace's events as their diagnosis, so no caller types a subject or a diagnosis again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.kube.events import recent_events
from clusters.kube.names import ref
from clusters.kube.premise import check_stored
from clusters.kube.waits import DEFAULT_TIMEOUT, NotYet, Probe

T = TypeVar("T")


class Clients:
    """The typed API clients over ``self.api``."""

    api: client.ApiClient

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @property
    def storage(self) -> client.StorageV1Api:
        return client.StorageV1Api(self.api)


@dataclass
class Handle(Clients):
    """One object of ``kind`` in ``namespace``; subclasses add what their kind can do."""

    api: client.ApiClient
    namespace: str
    name: str

    kind: ClassVar[str] = ""

    @property
    def subject(self) -> str:
        """``apps/v1 StatefulSet ns/web``."""
        return ref(self.kind, self.namespace, self.name)

    def events(self) -> str:
        """The namespace's recent events: the diagnosis every probe of this handle carries."""
        return recent_events(self.core, self.namespace)

    def probe(
        self,
        check: Callable[[], T],
        description: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        interval: float = 1.0,
    ) -> Probe[T]:
        """A probe about this object: its subject and the namespace's events come with it."""
        return Probe(
            check, description, subject=self.subject, diagnose=self.events, timeout=timeout, interval=interval
        )

    def read(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} cannot read a {self.kind}")

    def _patch(self, body: dict) -> Any:
        raise NotImplementedError(f"{type(self).__name__} cannot patch a {self.kind}")

    def patch(self, body: dict) -> Any:
        """Patch it and read back what was stored: a field of ``body`` stored otherwise is named and the
        guarantee is broken (clusters.kube.premise)."""
        stored = self._patch(body)
        check_stored(body, stored, action="patched")
        return stored

    def deleted(self, *, uid: str, timeout: float = 60) -> Probe[None]:
        """The object of ``uid`` gone from the API (one made again under its name has another UID);
        NotYet says it is still there and whether it is being deleted."""

        def check() -> None:
            try:
                current = self.read()
            except ApiException as err:
                if err.status == 404:
                    return
                raise
            if current.metadata.uid != uid:
                return
            state = "being deleted" if current.metadata.deletion_timestamp else "not being deleted"
            raise NotYet(f"still there ({state})")

        return self.probe(check, f"uid {uid} gone from the API", timeout=timeout)

    def delete(self) -> None:
        """Delete the object (in the background); already gone counts as done."""
        try:
            self._delete()
        except ApiException as err:
            if err.status != 404:
                raise

    def _delete(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot delete a {self.kind}")


def controller_uid(obj: Any) -> str | None:
    """The UID of the object's controller: its ownerReference with ``controller: true``, if any."""
    refs = obj.metadata.owner_references or []
    return next((r.uid for r in refs if r.controller), None)


def generation_lag(obj: Any) -> str | None:
    """What says the controller has not seen the object's current generation yet; None once it has."""
    observed = obj.status.observed_generation if obj.status else None
    if (observed or 0) < obj.metadata.generation:
        return f"status.observedGeneration {observed} < generation {obj.metadata.generation}"
    return None


class Workload(Handle):
    """An object a controller acts on (DaemonSet, StatefulSet): its status counts only once the controller
    has observed its current generation."""

    def observed(self) -> Any:
        """A check: the object once its controller has seen its current generation."""
        obj = self.read()
        if lag := generation_lag(obj):
            raise NotYet(lag)
        return obj

    def generation_observed(self, *, timeout: float = 60) -> Probe[Any]:
        return self.probe(
            self.observed, "status.observedGeneration caught up with metadata.generation", timeout=timeout
        )
