"""Pytest glue for the ``upstream`` marker: registered, and checked when tests are collected, so a
misspelt spec or parity stops the run in one line (loaded by the reports plugin)."""

from __future__ import annotations

import pytest

from reports.parity.claims import MARKER, MARKER_HELP, BadMarker, claims_of_item, unknown_refs
from reports.parity.upstream import load


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    try:
        claims = [claim for item in items for claim in claims_of_item(item)]
    except BadMarker as err:
        raise pytest.UsageError(str(err)) from None
    if claims and (problems := unknown_refs(claims, load())):
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: " + "\n".join(problems))
