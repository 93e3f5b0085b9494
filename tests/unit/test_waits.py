"""Waits return what the probe found, fail with what they saw, and retry only transient API errors."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from kubernetes.client.exceptions import ApiException

from clusters.kube import retry, waits
from clusters.kube.retry import api_error_summary, is_transient, retry_after, retry_api
from clusters.kube.waits import (
    Aborted,
    HoldBroken,
    NotYet,
    Probe,
    WaitAborted,
    WaitTimeout,
    holds_for,
    reset_timeout_scale,
    scaled,
    set_timeout_scale,
    timeout_scale,
    wait_for,
)

FAST = {"timeout": 0.3, "interval": 0.05}


@pytest.fixture(autouse=True)
def default_scale(monkeypatch):
    monkeypatch.delenv(waits.TIMEOUT_SCALE_ENV, raising=False)
    reset_timeout_scale()
    yield
    reset_timeout_scale()


def api_error(status: int, reason: str = "", headers: dict[str, str] | None = None, message: str = ""):
    err = ApiException(status=status, reason=reason or "Error")
    err.headers = headers
    if message:
        err.body = json.dumps({"kind": "Status", "message": message})
    return err


class Script:
    """A probe that plays back a list of outcomes (exceptions are raised, values returned)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        outcome = self.outcomes[min(self.calls, len(self.outcomes)) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


# --- wait_for ------------------------------------------------------------------------------------


def test_returns_the_probe_value_once_satisfied():
    probe = Script(NotYet("0/3 Ready"), NotYet("2/3 Ready"), ["web-0", "web-1", "web-2"])
    assert wait_for(Probe(probe, "3/3 Ready", timeout=5, interval=0.01)) == ["web-0", "web-1", "web-2"]
    assert probe.calls == 3


def test_timeout_names_subject_description_last_state_and_diagnosis():
    probe = Script(NotYet("1/3 Ready"), NotYet("2/3 Ready; web-2 Pending"))
    start = time.monotonic()
    with pytest.raises(WaitTimeout) as caught:
        wait_for(
            Probe(
                probe,
                "3/3 Ready",
                subject="StatefulSet ns-1a2b/web",
                diagnose=lambda: "Warning FailedScheduling pod/web-2: 0/3 nodes are available",
                **FAST,
            )
        )
    elapsed = time.monotonic() - start
    assert str(caught.value) == (
        "timed out after 0.3s waiting for StatefulSet ns-1a2b/web: 3/3 Ready; "
        "last seen: 2/3 Ready; web-2 Pending\n"
        "Warning FailedScheduling pod/web-2: 0/3 nodes are available"
    )
    assert isinstance(caught.value, AssertionError)
    assert caught.value.last_seen == "2/3 Ready; web-2 Pending"
    assert caught.value.subject == "StatefulSet ns-1a2b/web"
    assert caught.value.__cause__ is None
    assert 0.3 <= elapsed < 1.5
    assert probe.calls >= 3


def test_timeout_without_subject_or_diagnosis():
    with pytest.raises(
        WaitTimeout, match=r"^timed out after 0.3s waiting for 3/3 Ready; last seen: 0/3 Ready$"
    ):
        wait_for(Probe(Script(NotYet("0/3 Ready")), "3/3 Ready", **FAST))


def test_broken_diagnosis_does_not_hide_the_timeout():
    def diagnose() -> str:
        raise RuntimeError("events API down")

    with pytest.raises(WaitTimeout) as caught:
        wait_for(Probe(Script(NotYet("0/1 Ready")), "1/1 Ready", diagnose=diagnose, **FAST))
    assert "last seen: 0/1 Ready\n(diagnose failed: RuntimeError: events API down)" in str(caught.value)


def test_aborted_stops_at_once():
    probe = Script(NotYet("0/3 Ready"), Aborted("web-0 ImagePullBackOff"), "never")
    start = time.monotonic()
    with pytest.raises(WaitTimeout) as caught:
        wait_for(
            Probe(
                probe,
                "3/3 Ready",
                subject="StatefulSet ns-1a2b/web",
                timeout=30,
                interval=0.01,
                diagnose=lambda: "Warning Failed pod/web-0: ErrImagePull",
            )
        )
    assert time.monotonic() - start < 5
    assert probe.calls == 2
    assert isinstance(caught.value, WaitAborted)
    assert str(caught.value) == (
        "gave up waiting for StatefulSet ns-1a2b/web: 3/3 Ready: web-0 ImagePullBackOff\n"
        "Warning Failed pod/web-0: ErrImagePull"
    )
    assert isinstance(caught.value.__cause__, Aborted)


def test_server_error_is_retried_then_succeeds():
    probe = Script(api_error(500, "Internal Server Error"), api_error(503), "ready")
    assert wait_for(Probe(probe, "ready", timeout=5, interval=0.01)) == "ready"
    assert probe.calls == 3


@pytest.mark.parametrize("status", [409, 429, 500, 504])
def test_transient_statuses_are_retried(status):
    assert wait_for(Probe(Script(api_error(status), "ok"), "ok", timeout=5, interval=0.01)) == "ok"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_api_errors_surface_at_once(status):
    err = api_error(status, "Forbidden")
    probe = Script(err, "never")
    with pytest.raises(ApiException) as caught:
        wait_for(Probe(probe, "3/3 Ready", subject="StatefulSet ns-1a2b/web", timeout=30, interval=0.01))
    assert caught.value is err
    assert probe.calls == 1
    assert "while waiting for StatefulSet ns-1a2b/web: 3/3 Ready" in caught.value.__notes__


def test_other_exceptions_surface_at_once():
    probe = Script(KeyError("status"), "never")
    with pytest.raises(KeyError):
        wait_for(Probe(probe, "ready", timeout=30, interval=0.01))
    assert probe.calls == 1


def test_persistent_server_error_times_out_with_the_error_as_last_state():
    err = api_error(503, "Service Unavailable", message="etcdserver: request timed out")
    with pytest.raises(WaitTimeout) as caught:
        wait_for(Probe(Script(err), "3/3 Ready", subject="StatefulSet ns/web", **FAST))
    assert str(caught.value).endswith(
        "last seen: API error 503 Service Unavailable: etcdserver: request timed out"
    )
    assert caught.value.__cause__ is err


def test_retry_after_is_honoured_while_waiting():
    probe = Script(api_error(429, "Too Many Requests", headers={"Retry-After": "0.3"}), "ok")
    start = time.monotonic()
    assert wait_for(Probe(probe, "ok", timeout=5, interval=0.01)) == "ok"
    assert time.monotonic() - start >= 0.3


def test_retry_after_never_outlasts_the_deadline():
    probe = Script(api_error(429, headers={"Retry-After": "30"}))
    start = time.monotonic()
    with pytest.raises(WaitTimeout):
        wait_for(Probe(probe, "ok", **FAST))
    assert time.monotonic() - start < 2


# --- timeout scale -------------------------------------------------------------------------------


def test_timeout_scale_shortens_and_lengthens_waits():
    set_timeout_scale(0.5)
    assert scaled(300) == 150
    start = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"^timed out after 0.2s waiting for ready"):
        wait_for(Probe(Script(NotYet("no")), "ready", timeout=0.4, interval=0.05))
    assert time.monotonic() - start < 0.4 + 1.0


def test_timeout_scale_from_environment(monkeypatch):
    monkeypatch.setenv(waits.TIMEOUT_SCALE_ENV, "2.5")
    assert timeout_scale() == 2.5
    assert scaled(4) == 10
    set_timeout_scale(3)
    assert scaled(4) == 12
    reset_timeout_scale()
    assert scaled(4) == 10


@pytest.mark.parametrize("raw", ["fast", "0", "-1", "nan", "inf"])
def test_invalid_environment_scale_is_rejected(monkeypatch, raw):
    monkeypatch.setenv(waits.TIMEOUT_SCALE_ENV, raw)
    with pytest.raises(ValueError, match="WC_TIMEOUT_SCALE"):
        timeout_scale()


@pytest.mark.parametrize("factor", [0, -2, float("nan")])
def test_invalid_scale_is_rejected(factor):
    with pytest.raises(ValueError, match="timeout scale"):
        set_timeout_scale(factor)


def test_default_scale_is_one():
    assert timeout_scale() == 1.0 and scaled(300) == 300


# --- API error helpers ---------------------------------------------------------------------------


def test_is_transient():
    assert [s for s in (400, 403, 404, 409, 410, 422, 429, 500, 502, 599) if is_transient(api_error(s))] == [
        409,
        429,
        500,
        502,
        599,
    ]
    assert not is_transient(RuntimeError("500"))


def test_retry_after_parsing():
    assert retry_after(api_error(429, headers={"Retry-After": "2"})) == 2
    assert retry_after(api_error(429, headers={"retry-after": "1"})) == 1
    assert retry_after(api_error(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(api_error(429, headers={"Retry-After": "-4"})) == 0
    assert retry_after(api_error(429, headers={"Retry-After": "86400"})) == retry.MAX_RETRY_AFTER
    assert retry_after(api_error(429)) is None
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after(api_error(503, headers={"Retry-After": future})) <= 31
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(api_error(503, headers={"Retry-After": past})) == 0


def test_api_error_summary():
    err = api_error(422, "Unprocessable Entity", message='StatefulSet.apps "web" is invalid\nmore')
    assert api_error_summary(err) == '422 Unprocessable Entity: StatefulSet.apps "web" is invalid'
    assert api_error_summary(api_error(500, "Internal Server Error")) == "500 Internal Server Error"


# --- retry_api -----------------------------------------------------------------------------------


def test_retry_api_retries_server_errors_and_logs_each_retry(caplog):
    call = Script(api_error(500, "Internal Server Error"), api_error(409, "Conflict"), {"name": "web"})
    with caplog.at_level(logging.WARNING, logger="clusters.kube.waits"):
        assert retry_api(call, what="create StatefulSet ns/web", backoff=0) == {"name": "web"}
    assert call.calls == 3
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert re.match(
        r"create StatefulSet ns/web failed \(attempt 1/5\): 500 Internal Server Error;", messages[0]
    )
    assert "409 Conflict" in messages[1]


def test_retry_api_surfaces_forbidden_at_once():
    err = api_error(403, "Forbidden")
    call = Script(err, "never")
    with pytest.raises(ApiException) as caught:
        retry_api(call, what="list nodes", backoff=0)
    assert caught.value is err and call.calls == 1


def test_retry_api_reraises_the_last_error_after_all_attempts():
    errors = [api_error(500, "first"), api_error(502, "second"), api_error(503, "last")]
    call = Script(*errors)
    with pytest.raises(ApiException) as caught:
        retry_api(call, what="patch DaemonSet ns/agent", attempts=3, backoff=0)
    assert caught.value is errors[-1]
    assert call.calls == 3
    assert caught.value.__notes__ == ["patch DaemonSet ns/agent: failed after 3 attempt(s): 503 last"]


def test_retry_api_honours_retry_after():
    call = Script(api_error(429, "Too Many Requests", headers={"Retry-After": "0.3"}), "ok")
    start = time.monotonic()
    assert retry_api(call, what="get pod", backoff=0) == "ok"
    assert time.monotonic() - start >= 0.3


def test_retry_api_rejects_zero_attempts():
    with pytest.raises(ValueError):
        retry_api(lambda: None, what="noop", attempts=0)


# --- quiet windows ---------------------------------------------------------------------------------


def test_a_quiet_window_lasts_at_least_its_nominal_length_even_when_waits_are_scaled_down():
    set_timeout_scale(0.01)
    try:
        started = time.monotonic()
        holds_for(Probe(lambda: None, "nothing replaced", interval=0.05), 0.5, "a pod replaced")
        assert time.monotonic() - started >= 0.5
    finally:
        reset_timeout_scale()


def test_a_quiet_window_fails_at_the_first_violation_naming_it():
    check = Script(None, None, NotYet("web-0 deleted"))
    probe = Probe(check, "web-0 untouched", subject="apps/v1 StatefulSet ns/web", interval=0.01)
    with pytest.raises(HoldBroken) as failure:
        holds_for(probe, 5, "a pod below the partition replaced")
    message = str(failure.value)
    assert message.startswith("apps/v1 StatefulSet ns/web: a pod below the partition replaced within ")
    assert message.endswith("web-0 untouched must hold: web-0 deleted")
    assert failure.value.after < 5


def test_a_quiet_window_rejects_a_nonsense_length():
    with pytest.raises(ValueError, match="finite"):
        holds_for(Probe(lambda: None, "x"), float("nan"), "y")
