"""A handle on one namespaced object: what it is called in messages, and probes about it that carry that
name and the namespace's events as their diagnosis, so no caller types a subject or a diagnosis again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.kube.events import recent_events
from clusters.kube.names import ref
from clusters.kube.waits import DEFAULT_TIMEOUT, Probe

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

    def delete(self) -> None:
        """Delete the object (in the background); already gone counts as done."""
        try:
            self._delete()
        except ApiException as err:
            if err.status != 404:
                raise

    def _delete(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot delete a {self.kind}")
