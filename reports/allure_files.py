"""The two files Allure reads beside the results: environment.properties (the cluster facts) and
categories.json (how failures are grouped). allure-pytest itself writes the results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ENVIRONMENT_FILE = "environment.properties"
CATEGORIES_FILE = "categories.json"

# Allure gives a failed or broken result the first category whose regexes match its message
# (whole-string match, Java syntax), so the specific ones come first.
CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Cluster unavailable",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": "(?s).*cluster unavailable.*",
    },
    {
        "name": "Timed out waiting for a condition",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": "(?s).*timed out after.*",
    },
    {
        "name": "Kubernetes API errors",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": "(?s).*(ApiException|Reason: (Forbidden|Unprocessable|Conflict|Too Many Requests)).*",
    },
    {"name": "Guarantee violated", "matchedStatuses": ["failed"]},
    {"name": "Test or fixture errors", "matchedStatuses": ["broken"]},
    {"name": "Not run on this cluster", "matchedStatuses": ["skipped"]},
]


def _escape(text: str, *, key: bool) -> str:
    """Java .properties escaping: backslash, line breaks, and in keys the separators too."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if key:
        for char in " =:#!":
            text = text.replace(char, "\\" + char)
    return text


def render_environment(facts: dict[str, str]) -> str:
    return "".join(f"{_escape(k, key=True)}={_escape(v, key=False)}\n" for k, v in facts.items())


def render_categories() -> str:
    return json.dumps(CATEGORIES, indent=2) + "\n"


def write(facts: dict[str, str], allure_dir: Path) -> list[Path]:
    """Write both files into an allure-results directory; returns their paths."""
    allure_dir.mkdir(parents=True, exist_ok=True)
    environment = allure_dir / ENVIRONMENT_FILE
    environment.write_text(render_environment(facts), encoding="utf-8")
    categories = allure_dir / CATEGORIES_FILE
    categories.write_text(render_categories(), encoding="utf-8")
    return [environment, categories]
