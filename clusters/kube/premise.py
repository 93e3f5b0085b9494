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


class PremiseRewritten(AssertionError):
    """What a guarantee set up is not what the API server stored: the guarantee is broken, and this is
    its diagnosis. An AssertionError, so the test fails as broken."""


def check_stored(sent: Any, stored: Any, action: str = "created") -> None:
    """Raise PremiseRewritten naming the object and every field of ``sent`` the server stored otherwise."""
    lines = rewritten(as_sent(sent), as_sent(stored))
    if lines:
        raise PremiseRewritten(
            f"{describe(stored)} {action}, but not as sent (changed by admission?):\n  " + "\n  ".join(lines)
        )
