"""The premise of a guarantee, read back: what the API server stored against what was sent.

Admission (a webhook, a mutating policy) may rewrite an object on its way in. Defaulting only adds
fields that were not sent; a field that was sent and comes back with another value, or not at all, was
rewritten, and a guarantee judged on that object would judge something else than it claims.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from clusters.kube.names import describe

_SERIALIZER = client.ApiClient()


def as_sent(obj: Any) -> Any:
    """A client model (or plain data) as the JSON the API sees: camelCase keys, no None values."""
    return _SERIALIZER.sanitize_for_serialization(obj)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def rewritten(sent: Any, stored: Any, path: str = "") -> list[str]:
    """One ``path: sent X, stored Y`` line for each value that was sent and is not what was stored.

    Fields the server added (defaulting) are not compared; empty maps and lists sent are taken as
    absent (the server drops them), and strategic-merge directives ($patch) are not fields."""
    if isinstance(sent, dict):
        if not isinstance(stored, dict):
            return [f"{path}: sent {_show(sent)}, stored {_show(stored)}"]
        lines = []
        for key, value in sent.items():
            if value is None or value == {} or value == [] or str(key).startswith("$"):
                continue  # absent, or a patch directive ($patch, $retainKeys), not a field
            where = f"{path}.{key}" if path else str(key)
            if key not in stored:
                if value in (0, ""):
                    continue  # a zero value, which the server omits (omitempty) when storing it
                lines.append(f"{where}: sent {_show(value)}, stored <absent>")
            else:
                lines += rewritten(value, stored[key], where)
        return lines
    if isinstance(sent, list):
        if not isinstance(stored, list) or len(stored) != len(sent):
            return [f"{path}: sent {_show(sent)}, stored {_show(stored)}"]
        if all(isinstance(item, dict) for item in sent):
            return [
                line for i, item in enumerate(sent) for line in rewritten(item, stored[i], f"{path}[{i}]")
            ]
    return [] if sent == stored else [f"{path}: sent {_show(sent)}, stored {_show(stored)}"]


# Fields that decide where a created object's pods may run and how they are replaced. Admission that
# adds one where nothing was sent changes the premise as surely as one that rewrites a value sent, so
# on creation each is compared with what documented defaulting (pkg/apis/*/v1/defaults.go) puts there
# when it is not sent: None where nothing is defaulted (any value added is named).
_POD_SPEC_ADDITIONS: dict[str, Any] = {
    "nodeSelector": None,
    "affinity": None,
    "tolerations": None,
    "topologySpreadConstraints": None,
    "nodeName": None,
    "runtimeClassName": None,  # a RuntimeClass brings its own nodeSelector and tolerations
    "schedulerName": "default-scheduler",
}
_WORKLOAD_ADDITIONS: dict[str, dict[str, Any]] = {
    "DaemonSet": {
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        "minReadySeconds": 0,
    },
    "StatefulSet": {
        # maxUnavailable is defaulted only where the MaxUnavailableStatefulSet feature is on
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}},
        "podManagementPolicy": "OrderedReady",
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "minReadySeconds": 0,
        "ordinals": {"start": 0},  # not defaulted: what no ordinals means
    },
}
# What the DefaultTolerationSeconds admission plugin (on by default) adds to every Pod created without
# them; their tolerationSeconds is the API server's to choose.
_DEFAULT_POD_TOLERATION_KEYS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def _absent(value: Any) -> bool:
    return value is None or value == {} or value == []


def _added(sent: Any, stored: Any, default: Any, path: str) -> list[str]:
    """One line per value stored under ``path`` that was not sent and is not its documented default."""
    if _absent(stored):
        return []
    if _absent(sent):
        if stored == default:
            return []
        if isinstance(stored, dict) and isinstance(default, dict):
            return [
                line
                for key, value in stored.items()
                for line in _added(None, value, default.get(key), f"{path}.{key}")
            ]
        return [f"{path}: not sent, stored {_show(stored)}"]
    if isinstance(sent, dict) and isinstance(stored, dict):
        defaults = default if isinstance(default, dict) else {}
        return [
            line
            for key, value in stored.items()
            for line in _added(sent.get(key), value, defaults.get(key), f"{path}.{key}")
        ]
    return []  # a value that was sent: rewritten() compares it


def _is_default_pod_toleration(toleration: Any) -> bool:
    return (
        isinstance(toleration, dict)
        and toleration.get("key") in _DEFAULT_POD_TOLERATION_KEYS
        and toleration.get("operator") == "Exists"
        and toleration.get("effect") == "NoExecute"
    )


def without_default_pod_tolerations(sent: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A stored Pod without the tolerations DefaultTolerationSeconds added (those not sent)."""
    sent_tolerations = (sent.get("spec") or {}).get("tolerations") or []
    spec = stored.get("spec") or {}
    kept = [
        t for t in spec.get("tolerations") or [] if t in sent_tolerations or not _is_default_pod_toleration(t)
    ]
    return {**stored, "spec": {**spec, "tolerations": kept}} if "tolerations" in spec else stored


def added(sent: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """On a created object (a Pod, a DaemonSet or a StatefulSet): one ``path: not sent, stored X`` line
    for each scheduling or update-strategy field admission added beyond documented defaulting."""
    kind = stored.get("kind")
    stored_spec, sent_spec = stored.get("spec") or {}, sent.get("spec") or {}
    lines = []
    for field, default in _WORKLOAD_ADDITIONS.get(str(kind), {}).items():
        lines += _added(sent_spec.get(field), stored_spec.get(field), default, f"spec.{field}")
    if kind == "Pod":
        pod_path, sent_pod, stored_pod = "spec", sent_spec, stored_spec
    elif "template" in stored_spec:
        pod_path = "spec.template.spec"
        sent_pod = (sent_spec.get("template") or {}).get("spec") or {}
        stored_pod = (stored_spec.get("template") or {}).get("spec") or {}
    else:
        return lines
    for field, default in _POD_SPEC_ADDITIONS.items():
        lines += _added(sent_pod.get(field), stored_pod.get(field), default, f"{pod_path}.{field}")
    return lines


class PremiseRewritten(AssertionError):
    """What a guarantee set up is not what the API server stored: the guarantee is broken, and this is
    its diagnosis. An AssertionError, so the test fails as broken."""


def check_stored(sent: Any, stored: Any, action: str = "created") -> None:
    """Raise PremiseRewritten naming the object and every field of ``sent`` the server stored otherwise;
    on creation, also every scheduling or update-strategy field it added beyond documented defaulting."""
    sent_data, stored_data = as_sent(sent), as_sent(stored)
    if isinstance(stored_data, dict) and stored_data.get("kind") == "Pod" and isinstance(sent_data, dict):
        stored_data = without_default_pod_tolerations(sent_data, stored_data)
    lines = rewritten(sent_data, stored_data)
    if action == "created" and isinstance(sent_data, dict) and isinstance(stored_data, dict):
        lines += added(sent_data, stored_data)
    if lines:
        raise PremiseRewritten(
            f"{describe(stored)} {action}, but not as sent (changed by admission?):\n  " + "\n  ".join(lines)
        )
