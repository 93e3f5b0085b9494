"""Kubernetes API calls that retry only what is worth retrying: 409, 429 and 5xx, honouring Retry-After.

Anything else (403, 404, 422, ...) surfaces at once. Each retry is logged with what was being done.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from kubernetes.client.exceptions import ApiException
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Longest Retry-After honoured, in seconds; a larger value is clipped to this.
MAX_RETRY_AFTER = 60.0
#: Longest pause between retry_api attempts when the server gives no Retry-After.
MAX_BACKOFF = 10.0


def is_transient(err: BaseException) -> bool:
    """True for a Kubernetes API error worth retrying: 409 Conflict, 429 Too Many Requests or any 5xx."""
    if not isinstance(err, ApiException) or not isinstance(err.status, int):
        return False
    return err.status in (409, 429) or 500 <= err.status <= 599


def retry_after(err: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date), clipped to
    MAX_RETRY_AFTER; None when absent or unreadable."""
    headers = getattr(err, "headers", None)
    if not headers:
        return None
    raw = next((str(v) for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def api_error_summary(err: BaseException) -> str:
    """One line for an API error: "500 Internal Server Error: etcdserver: request timed out"."""
    if not isinstance(err, ApiException):
        return f"{type(err).__name__}: {err}"
    text = f"{err.status} {err.reason or ''}".strip()
    message = ""
    if err.body:
        try:
            body = json.loads(err.body)
        except (TypeError, ValueError):
            body = None
        message = body.get("message", "") if isinstance(body, dict) else str(err.body).strip()
    return f"{text}: {message.splitlines()[0]}" if message else text


class _ApiBackoff(wait_base):
    """Retry-After when the server sends one, else exponential backoff."""

    def __init__(self, backoff: float) -> None:
        self._exponential = wait_exponential(multiplier=backoff, max=MAX_BACKOFF)

    def __call__(self, retry_state: RetryCallState) -> float:
        return stretched_to_retry_after(self._exponential(retry_state), retry_state)


def stretched_to_retry_after(delay: float, retry_state: RetryCallState) -> float:
    """``delay``, or longer when the last attempt failed with a Retry-After that asks for more."""
    outcome = retry_state.outcome
    if outcome is not None and outcome.failed:
        asked = retry_after(outcome.exception())
        if asked is not None:
            return max(delay, asked)
    return delay


def retry_api(call: Callable[[], T], *, what: str, attempts: int = 5, backoff: float = 0.5) -> T:
    """Run one API call, retrying only 409/429/5xx errors up to ``attempts`` times in all.

    Waits Retry-After when the server sends it, else ``backoff`` seconds doubling each time (at most
    MAX_BACKOFF); logs each retry with ``what`` ("create StatefulSet ns-1a2b/web"); re-raises the last
    error with a note. A call that reads-modifies-writes should re-read inside ``call`` so a 409 can heal.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts!r}")

    def log_retry(retry_state: RetryCallState) -> None:
        err = retry_state.outcome.exception() if retry_state.outcome else None
        log.warning(
            "%s failed (attempt %d/%d): %s; retrying in %.1fs",
            what,
            retry_state.attempt_number,
            attempts,
            api_error_summary(err) if err else "?",
            retry_state.upcoming_sleep,
        )

    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(attempts),
        wait=_ApiBackoff(backoff),
        before_sleep=log_retry,
        reraise=True,
    )
    try:
        return retrying(call)
    except ApiException as err:
        tries = retrying.statistics.get("attempt_number", 1)
        err.add_note(f"{what}: failed after {tries} attempt(s): {api_error_summary(err)}")
        raise
