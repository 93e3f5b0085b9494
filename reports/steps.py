"""Records `allure.step(...)` blocks and `allure.attach(...)` calls into the results model.

Tests and fixtures use Allure's own API; this listens on Allure's plugin manager (the same hooks
allure-pytest listens on), so steps land in the model whether or not --alluredir is set.
"""

from __future__ import annotations

import time
from pathlib import Path
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
        self._open: dict[str, Step] = {}
        self._stack: list[Step] = []
        self._attachments: list[Attachment] = []

    def take(self) -> tuple[list[Step], list[Attachment]]:
        """The top-level steps and the attachments recorded since the last call."""
        steps, attachments = self._top, self._attachments
        self._top, self._attachments = [], []
        return steps, attachments

    @allure_commons.hookimpl
    def start_step(self, uuid: Any, title: str, params: dict[str, Any]) -> None:
        step = Step(title=str(title), start=time.time())
        (self._stack[-1].steps if self._stack else self._top).append(step)
        self._stack.append(step)
        self._open[str(uuid)] = step

    @allure_commons.hookimpl
    def stop_step(self, uuid: Any, exc_type: Any, exc_val: BaseException | None, exc_tb: Any) -> None:
        step = self._open.pop(str(uuid), None)
        if step is None:
            return
        if step in self._stack:
            del self._stack[self._stack.index(step) :]
        step.end = time.time()
        if exc_val is None:
            step.outcome = PASSED
        elif isinstance(exc_val, pytest.skip.Exception):
            step.outcome = SKIPPED
            step.error = str(exc_val)[:MAX_ERROR]
        else:
            step.outcome = FAILED
            step.error = f"{type(exc_val).__name__}: {exc_val}"[:MAX_ERROR]

    @allure_commons.hookimpl
    def attach_data(self, body: bytes | str, name: str | None, attachment_type: Any, extension: Any) -> None:
        content_type = _content_type(attachment_type, body)
        self._attachments.append(make_attachment(body, name or "attachment", content_type))

    @allure_commons.hookimpl
    def attach_file(self, source: str | Path, name: str | None, attachment_type: Any, extension: Any) -> None:
        path = Path(source)
        try:
            body = path.read_bytes()
        except OSError as err:
            body = f"cannot read attached file {path}: {err}"
        content_type = _content_type(attachment_type, body)
        self._attachments.append(make_attachment(body, name or path.name, content_type))
