"""Write the list of upstream e2e specs in the parity scope from the downloaded Kubernetes module.

The module is the Go module cache's ``k8s.io/kubernetes@<pinned version>`` (clusters/versions.toml), a
build artefact of the hermetic toolchain (or ``go mod download k8s.io/kubernetes@<version>``). Only spec
names and tags are read; no code is copied. Every [Conformance] name is checked against the module's own
test/conformance/testdata/conformance.yaml, so a misread name stops the refresh.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from reports.parity import ginkgo
from reports.parity.gosource import GoSource
from reports.parity.upstream import ref_of

VERSIONS = Path(__file__).resolve().parents[2] / "clusters" / "versions.toml"
MODULE = "k8s.io/kubernetes"
CONFORMANCE_YAML = "test/conformance/testdata/conformance.yaml"
FEATURES = "pkg/features/kube_features.go"
FEATURE_NAMES = "test/e2e/feature/feature.go"


class RefreshError(RuntimeError):
    """The module cannot be read as this generator expects: what and where."""


def creates_headless_service(source: GoSource, spec: ginkgo.Spec) -> bool:
    """The spec's body makes a Service with clusterIP None (e2eservice.CreateServiceSpec(..., true, ...))."""
    body = source.masked[spec.body[0] : spec.body[1]]
    if "ClusterIPNone" in body:
        return True
    for match in re.finditer(r"CreateServiceSpec\s*\(", body):
        args = source.args(spec.body[0] + match.end() - 1)
        if len(args) >= 3 and source.masked[args[2].start : args[2].end] == "true":
            return True
    return False


def runs_a_statefulset(source: GoSource, spec: ginkgo.Spec) -> bool:
    """The spec's body (its code, not its comments or strings) makes or reads a StatefulSet."""
    return "StatefulSet" in source.masked[spec.body[0] : spec.body[1]]


@dataclass(frozen=True)
class FileScope:
    path: str
    scope: str
    pick: Callable[[GoSource, ginkgo.Spec], bool] | None = None  # None: every spec


# What the parity table answers for (issues 11 and 12), in the order the table shows.
HEADLESS = "the specs that create a headless Service"
STATEFUL = "the specs that run a StatefulSet"
SCOPE = (
    FileScope("test/e2e/apps/daemon_set.go", "every spec"),
    FileScope("test/e2e/apps/controller_revision.go", "every spec"),
    FileScope("test/e2e/apps/statefulset.go", "every spec"),
    FileScope("test/e2e/network/dns.go", HEADLESS, creates_headless_service),
    FileScope("test/e2e/storage/persistent_volumes.go", STATEFUL, runs_a_statefulset),
    FileScope("test/e2e/storage/persistent_volumes-local.go", STATEFUL, runs_a_statefulset),
)


def pinned_version() -> str:
    return tomllib.loads(VERSIONS.read_text(encoding="utf-8"))["kubernetes"]["version"]


def module_dir(version: str) -> Path | None:
    """The downloaded module, or None when it is not on this machine (or Go is not installed)."""
    try:
        cache_dir = subprocess.run(
            ["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(cache_dir) / f"{MODULE}@{version}"
    return path if (path / "test" / "e2e").is_dir() else None


class _Module:
    """Reads what the e2e files refer to: SIG names, feature names, feature gates."""

    def __init__(self, root: Path, version: str) -> None:
        self.root = root
        self.minor = _minor(version)

    def resolvers(self, path: str, source: GoSource) -> ginkgo.Resolvers:
        imports = _imports(source.text)
        here = str(Path(path).parent)
        return ginkgo.Resolvers(
            sig=lambda qualifier: self.sig(imports.get(qualifier, here) if qualifier else here),
            gate=self.gate,
            feature=self.feature,
        )

    @cache  # noqa: B019 - one module per refresh
    def sig(self, package: str) -> str:
        for file in sorted((self.root / package).glob("*.go")):
            found = re.search(r"SIGDescribe\s*=\s*framework\.SIGDescribe\(\"([\w-]+)\"\)", file.read_text())
            if found:
                return found.group(1)
        raise RefreshError(f"no SIGDescribe in {package}")

    @cache  # noqa: B019
    def feature(self, identifier: str) -> str:
        text = (self.root / FEATURE_NAMES).read_text()
        found = re.search(
            rf"\b{identifier}\s*=\s*framework\.WithFeature\(\s*framework\.ValidFeatures\.Add\("
            r"\"([^\"]+)\"\)",
            text,
        )
        if not found:
            raise RefreshError(f"feature.{identifier} is not in {FEATURE_NAMES}")
        return found.group(1)

    @cache  # noqa: B019
    def gate(self, name: str) -> ginkgo.Gate:
        specs, dependencies = self._gates()
        if name not in specs:
            raise RefreshError(f"feature gate {name} is not in {FEATURES}")
        stage, default = specs[name]
        return ginkgo.Gate(name, stage, default, tuple(self.gate(d) for d in dependencies.get(name, ())))

    @cache  # noqa: B019
    def _gates(self) -> tuple[dict[str, tuple[str, bool]], dict[str, tuple[str, ...]]]:
        source = GoSource((self.root / FEATURES).read_text())
        specs: dict[str, tuple[str, bool]] = {}
        versioned = _map_body(source, "defaultVersionedKubernetesFeatureGates")
        for name, entries in re.findall(r"(\w+):\s*\{((?:\s*\{[^{}]*\},?)*)\s*\}", versioned):
            chosen = None
            for version, default, stage in re.findall(
                r'Version:\s*version\.MustParse\("([\d.]+)"\),\s*Default:\s*(true|false),'
                r"\s*PreRelease:\s*featuregate\.(\w+)",
                entries,
            ):
                if _minor(version) <= self.minor:
                    chosen = (_stage(stage), default == "true")
            if chosen:
                specs[name] = chosen
        depends = _map_body(source, "defaultKubernetesFeatureGateDependencies")
        dependencies = {
            name: tuple(d.strip().rpartition(".")[2] for d in listed.split(",") if d.strip())
            for name, listed in re.findall(r"(\w+):\s*\{([^{}]*)\}", depends)
        }
        return specs, dependencies


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.lstrip("v").split(".")[:2]
    return int(major), int(minor)


def _stage(pre_release: str) -> str:
    """featuregate.Alpha -> Alpha; GA has no stage text."""
    return "" if pre_release == "GA" else pre_release[:1].upper() + pre_release[1:].lower()


def _map_body(source: GoSource, variable: str) -> str:
    at = source.masked.find(f"var {variable} =")
    if at < 0:
        raise RefreshError(f"no {variable} in {FEATURES}")
    brace = source.masked.index("{", at)
    return source.code(brace + 1, source.closing(brace))


def _imports(text: str) -> dict[str, str]:
    """Import alias (or last path element) -> package folder below the module, for this module's imports."""
    found = {}
    for alias, package in re.findall(rf'^\s*(\w+\s+)?"{re.escape(MODULE)}/([^"]+)"', text, re.M):
        found[alias.strip() or package.rpartition("/")[2]] = package
    return found


def read_specs(root: Path, version: str) -> tuple[list[tuple[FileScope, ginkgo.Spec]], dict[str, set[str]]]:
    """The in-scope specs of every file, and the names of each file's [Conformance] specs (all of them)."""
    module = _Module(root, version)
    chosen: list[tuple[FileScope, ginkgo.Spec]] = []
    conformance: dict[str, set[str]] = {}
    for scope in SCOPE:
        path = root / scope.path
        if not path.is_file():
            raise RefreshError(f"{scope.path} is not in {root}")
        source = GoSource(path.read_text(encoding="utf-8"))
        found = ginkgo.specs(source, module.resolvers(scope.path, source))
        conformance[scope.path] = {s.name for s in found if "Conformance" in s.labels and not s.problem}
        for spec in found:
            if scope.pick is None or scope.pick(source, spec):
                if spec.problem:
                    raise RefreshError(f"{scope.path}, spec at line {spec.line}: {spec.problem}")
                chosen.append((scope, spec))
    return chosen, conformance


def check_against_conformance_yaml(root: Path, conformance: dict[str, set[str]]) -> None:
    """Every [Conformance] spec of each file is named as the module's conformance.yaml names it."""
    entries = yaml.safe_load((root / CONFORMANCE_YAML).read_text(encoding="utf-8"))
    problems = []
    for path, names in conformance.items():
        listed = {" ".join(e["codename"].split()) for e in entries if e.get("file") == path}
        problems += [f"{path}: read {name!r}, not in {CONFORMANCE_YAML}" for name in sorted(names - listed)]
        problems += [
            f"{path}: {CONFORMANCE_YAML} lists {name!r}, not read" for name in sorted(listed - names)
        ]
    if problems:
        raise RefreshError(f"spec names disagree with {CONFORMANCE_YAML}:\n" + "\n".join(problems))


def tags_of(name: str) -> list[str]:
    """Every [tag] in a spec's name, once, in order."""
    return list(dict.fromkeys(re.findall(r"\[([^\]]+)\]", name)))


def _gate_text(gate: ginkgo.Gate) -> str:
    notes = [gate.stage or "GA", "on by default" if gate.default else "off by default"]
    return f"{gate.name} ({', '.join(notes)})"


def _toml(value: object) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string


def render(version: str, chosen: list[tuple[FileScope, ginkgo.Spec]]) -> str:
    """The data file's text."""
    refs: dict[str, int] = {}
    lines = [
        f"# Upstream e2e specs this suite answers for, read from {MODULE}@{version} test/e2e.",
        "# Generated by `python -m reports.parity refresh`; do not edit by hand.",
        "# ref: how a guarantee names the spec (@pytest.mark.upstream); name: the full name Ginkgo reports;",
        "# tags: every [tag] in the name; gates: feature gates the spec needs, as this version defines them.",
        "",
        f"kubernetes = {_toml(version)}",
    ]
    for scope in SCOPE:
        count = sum(1 for s, _ in chosen if s is scope)
        lines += ["", "[[file]]", f"path = {_toml(scope.path)}", f"scope = {_toml(scope.scope)}"]
        lines.append(f"specs = {count}")
    for scope, spec in chosen:
        ref = ref_of(scope.path, spec.text)
        if ref in refs:
            raise RefreshError(f"two specs are named {ref!r} (lines {refs[ref]} and {spec.line})")
        refs[ref] = spec.line
        lines += [
            "",
            "[[spec]]",
            f"ref = {_toml(ref)}",
            f"file = {_toml(scope.path)}",
            f"line = {spec.line}",
            f"name = {_toml(spec.name)}",
            f"tags = {_toml(tags_of(spec.name))}",
        ]
        if spec.gates:
            lines.append(f"gates = {_toml([_gate_text(g) for g in spec.gates])}")
    return "\n".join(lines) + "\n"


def generate(root: Path, version: str) -> str:
    chosen, conformance = read_specs(root, version)
    check_against_conformance_yaml(root, conformance)
    return render(version, chosen)
