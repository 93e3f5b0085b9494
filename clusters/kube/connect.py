"""Connecting to a cluster through a kubeconfig, with one line (and the remedy) when that cannot work."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

URLLIB3_POOL_LOGGER = "urllib3.connectionpool"


class ClusterUnavailable(RuntimeError):
    """The cluster cannot be reached or used; the message is one line with the remedy."""


def _check_kubeconfig_file(kubeconfig: Path) -> None:
    """ClusterUnavailable, in one line, when the file is missing, unreadable, not YAML or not a kubeconfig."""
    if not kubeconfig.is_file():
        raise ClusterUnavailable(
            f"kubeconfig {kubeconfig} does not exist: pass --wc-kubeconfig with a readable file"
        )
    try:
        loaded = yaml.safe_load(kubeconfig.read_text())
    except OSError as err:
        raise ClusterUnavailable(f"kubeconfig {kubeconfig} cannot be read: {err.strerror or err}") from err
    except yaml.YAMLError as err:
        problem = " ".join(str(getattr(err, "problem", None) or err).split())
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ClusterUnavailable(f"kubeconfig {kubeconfig} is not valid YAML: {problem}{where}") from err
    if not isinstance(loaded, dict) or not loaded.get("clusters"):
        found = "no clusters in it" if isinstance(loaded, dict) else f"it holds a {type(loaded).__name__}"
        raise ClusterUnavailable(
            f"kubeconfig {kubeconfig} is not a kubeconfig ({found}): pass --wc-kubeconfig with one"
        )


def why_unreachable(err: BaseException) -> str:
    """The root cause of a failed request in a few words: "connection refused", "timed out", ..."""
    seen: set[int] = set()
    current: BaseException | None = err
    last = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        last = current
        if isinstance(current, ApiException):
            return f"{current.status} {current.reason}"
        if isinstance(current, ssl.SSLError):
            return f"TLS error: {current.reason or current}"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        if isinstance(current, TimeoutError):
            return "timed out"
        reason = getattr(current, "reason", None)
        current = reason if isinstance(reason, BaseException) else (current.__cause__ or current.__context__)
    lines = str(last).strip().splitlines()
    return f"{type(last).__name__}: {lines[0]}" if lines else type(last).__name__


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def connect(kubeconfig: Path, context: str | None = None) -> client.ApiClient:
    """An API client for the kubeconfig; ClusterUnavailable with one line when it cannot be used."""
    _check_kubeconfig_file(kubeconfig)
    try:
        api = config.new_client_from_config(config_file=str(kubeconfig), context=context)
    except (config.ConfigException, ValueError, TypeError, KeyError, AttributeError) as err:
        detail = " ".join(str(err).split()) or type(err).__name__
        raise ClusterUnavailable(f"kubeconfig {kubeconfig} cannot be used: {detail}") from err
    try:
        with _quiet(URLLIB3_POOL_LOGGER):  # its retry warnings would repeat the one line below three times
            client.VersionApi(api).get_code(_request_timeout=10)
    except Exception as err:  # noqa: BLE001 - any failure here means the same thing to the user
        host = api.configuration.host
        api.close()
        if isinstance(err, ApiException):
            raise ClusterUnavailable(
                f"API server {host} answered {why_unreachable(err)}: check the kubeconfig's credentials"
            ) from err
        raise ClusterUnavailable(
            f"API server {host} does not answer ({why_unreachable(err)}): check that the cluster runs "
            "and the kubeconfig points at it"
        ) from err
    return api
