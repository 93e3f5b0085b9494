"""The project's step API: ``with step("act: scale web to 5"):`` and ``attach(text, "events")``.

A step is recorded into the results model (reports.model) of the test in progress; Allure is one
renderer of it: each step and attachment is also handed to Allure's plugin manager, where
allure-pytest writes it into allure-results when that is on. Tests reach it through the ``step``
fixture; helpers that attach diagnostics call ``attach`` directly.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import allure_commons
import pytest

from reports.model import FAILED, PASSED, SKIPPED, Attachment, Step

MAX_TEXT = 64 * 1024  # characters of one attachment kept in the model
MAX_ERROR = 2000  # characters of a step's error kept in the model
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/yaml", "application/x-yaml")


def _content_type(attachment_type: Any, body: bytes | str) -> str:
    if attachment_type is None:
        return "text/plain" if isinstance(body, str) else "application/octet-stream"
    return str(getattr(attachment_type, "mime_type", attachment_type))


def _decoded(body: bytes, content_type: str) -> str | None:
    """The text of a body declared as text, or of an undeclared one that is clean UTF-8."""
    if content_type.startswith(TEXT_TYPES):
        return body.decode("utf-8", "replace")
    if content_type == "application/octet-stream" and b"\x00" not in body:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def make_attachment(body: bytes | str, name: str, content_type: str) -> Attachment:
    """An attachment with its text kept if it is text (cut to MAX_TEXT), else only its size."""
    if isinstance(body, str):
        text: str | None = body
        size = len(body.encode("utf-8", "replace"))
    else:
        size = len(body)
        text = _decoded(body, content_type)
    if text is not None and len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"\n... cut: {len(text) - MAX_TEXT} more characters\n"
    return Attachment(name=name, content_type=content_type, size=size, text=text)


class StepRecorder:
    """Collects the steps and attachments of the test phase in progress; `take` hands them over."""

    def __init__(self) -> None:
        self._top: list[Step] = []
        self._stack: list[Step] = []
        self._attachments: list[Attachment] = []

    def take(self) -> tuple[list[Step], list[Attachment]]:
        """The top-level steps and the attachments recorded since the last call."""
        steps, attachments = self._top, self._attachments
        self._top, self._attachments, self._stack = [], [], []
        return steps, attachments

    def start(self, title: str) -> Step:
        step = Step(title=str(title), start=time.time())
        (self._stack[-1].steps if self._stack else self._top).append(step)
        self._stack.append(step)
        return step

    def stop(self, step: Step, error: BaseException | None) -> None:
        if step in self._stack:
            del self._stack[self._stack.index(step) :]
        step.end = time.time()
        if error is None:
            step.outcome = PASSED
        elif isinstance(error, pytest.skip.Exception):
            step.outcome = SKIPPED
            step.error = str(error)[:MAX_ERROR]
        else:
            step.outcome = FAILED
            step.error = f"{type(error).__name__}: {error}"[:MAX_ERROR]

    def add(self, attachment: Attachment) -> None:
        self._attachments.append(attachment)


_recorders: list[StepRecorder] = []  # the reports plugin's, while a run is on


def activate(recorder: StepRecorder) -> None:
    _recorders.append(recorder)


def deactivate(recorder: StepRecorder) -> None:
    if recorder in _recorders:
        _recorders.remove(recorder)


@contextmanager
def step(title: str) -> Iterator[None]:
    """One named step of a test ("arrange: ...", "act: ...", "observe: ..."), timed, with its outcome."""
    recorder = _recorders[-1] if _recorders else None
    recorded = recorder.start(title) if recorder else None
    key = uuid.uuid4().hex
    renderers = allure_commons.plugin_manager.hook
    renderers.start_step(uuid=key, title=title, params={})
    error: BaseException | None = None
    try:
        yield
    except BaseException as err:
        error = err
        raise
    finally:
        if recorder is not None and recorded is not None:
            recorder.stop(recorded, error)
        renderers.stop_step(
            uuid=key,
            exc_type=type(error) if error else None,
            exc_val=error,
            exc_tb=error.__traceback__ if error else None,
        )


def attach(body: str | bytes, name: str, content_type: str = "text/plain") -> None:
    """Attach text (or bytes) to the test in progress, under ``name``."""
    if _recorders:
        _recorders[-1].add(make_attachment(body, name, content_type))
    allure_commons.plugin_manager.hook.attach_data(
        body=body, name=name, attachment_type=content_type, extension=_EXTENSIONS.get(content_type, "txt")
    )


_EXTENSIONS = {
    "text/plain": "txt",
    "application/yaml": "yaml",
    "application/json": "json",
    "text/html": "html",
}


class Steps:
    """What the ``step`` fixture gives a test: ``with step("act: ..."):`` and ``step.attach(text, name)``."""

    def __call__(self, title: str) -> AbstractContextManager[None]:
        return step(title)

    @staticmethod
    def attach(body: str | bytes, name: str, content_type: str = "text/plain") -> None:
        attach(body, name, content_type)
