"""What a run of upstream's e2e.test did per spec, read from its Ginkgo JSON report (--ginkgo.json-report):
each spec's location, name, state (passed, failed, skipped, ...) and run time."""

from __future__ import annotations

import json
from dataclasses import dataclass

PASSED = "passed"


@dataclass(frozen=True)
class SpecResult:
    file: str  # as compiled in: k8s.io/kubernetes@v1.37.1/test/e2e/apps/daemon_set.go with -trimpath
    line: int
    name: str  # the texts of its containers and its own, as Ginkgo prints them
    state: str
    seconds: float
    failure: str = ""

    def at(self, path: str, line: int) -> bool:
        """Whether this is the spec written at path (test/e2e/apps/daemon_set.go) and line."""
        return self.line == line and (self.file == path or self.file.endswith("/" + path))


def spec_results(report_json: str) -> list[SpecResult]:
    """Every It of every suite in the report; suite-level nodes (BeforeSuite, ...) are left out."""
    results = []
    for suite in json.loads(report_json):
        for spec in suite.get("SpecReports") or []:
            if spec.get("LeafNodeType") != "It":
                continue
            location = spec.get("LeafNodeLocation") or {}
            texts = [*(spec.get("ContainerHierarchyTexts") or []), spec.get("LeafNodeText", "")]
            results.append(
                SpecResult(
                    file=location.get("FileName", ""),
                    line=int(location.get("LineNumber", 0)),
                    name=" ".join(t for t in texts if t),
                    state=str(spec.get("State", "")),
                    seconds=int(spec.get("RunTime", 0)) / 1e9,
                    failure=((spec.get("Failure") or {}).get("Message") or "").strip(),
                )
            )
    return results


def focus_file_args(locations: list[tuple[str, int]]) -> list[str]:
    """Ginkgo flags that run exactly the specs written at these (path, line) places."""
    return [f"--ginkgo.focus-file={path}:{line}" for path, line in locations]
