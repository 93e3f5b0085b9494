"""The upstream e2e specs this suite answers for, as committed data: one TOML file per pinned Kubernetes
version, written by ``python -m reports.parity refresh`` (reports/parity/refresh.py)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
DATA_GLOB = "upstream_v*.toml"
ALPHA = "Alpha"


def data_file(version: str) -> Path:
    return HERE / f"upstream_{version}.toml"


def ref_of(path: str, text: str) -> str:
    """How a guarantee names a spec: ``daemon_set.go: should run and stop simple daemon``."""
    return f"{PurePosixPath(path).name}: {text}"


@dataclass(frozen=True)
class UpstreamFile:
    path: str  # test/e2e/apps/daemon_set.go
    scope: str  # which of its specs are in the list: "every spec", or the rule that picked them

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


@dataclass(frozen=True)
class UpstreamSpec:
    ref: str  # "<file>.go: <its own text>"
    file: str
    line: int
    name: str  # the full name Ginkgo reports
    tags: tuple[str, ...]  # every [tag] in the name, in order
    gates: tuple[str, ...] = ()  # "Name (Alpha, off by default)"

    @property
    def conformance(self) -> bool:
        return "Conformance" in self.tags

    @property
    def alpha(self) -> bool:
        """Needs an alpha feature gate: optional, outside the conformance verdict."""
        return ALPHA in self.tags

    @property
    def text(self) -> str:
        return self.ref.split(": ", 1)[1]


@dataclass(frozen=True)
class Upstream:
    kubernetes: str
    files: tuple[UpstreamFile, ...]
    specs: tuple[UpstreamSpec, ...]

    def by_ref(self) -> dict[str, UpstreamSpec]:
        return {spec.ref: spec for spec in self.specs}

    def of_file(self, file: UpstreamFile) -> list[UpstreamSpec]:
        return [spec for spec in self.specs if spec.file == file.path]

    def file_named(self, name: str) -> UpstreamFile:
        """A file by its name (daemon_set.go) or path (apps/daemon_set.go, test/e2e/apps/daemon_set.go)."""
        for file in self.files:
            if file.path == name or file.path.endswith("/" + name.lstrip("/")):
                return file
        known = ", ".join(file.name for file in self.files)
        raise KeyError(f"no upstream file {name!r} in the parity list (known: {known})")


def parse(text: str) -> Upstream:
    data = tomllib.loads(text)
    return Upstream(
        kubernetes=data["kubernetes"],
        files=tuple(UpstreamFile(f["path"], f["scope"]) for f in data.get("file", [])),
        specs=tuple(
            UpstreamSpec(
                ref=s["ref"],
                file=s["file"],
                line=s["line"],
                name=s["name"],
                tags=tuple(s.get("tags", [])),
                gates=tuple(s.get("gates", [])),
            )
            for s in data.get("spec", [])
        ),
    )


def committed() -> list[Path]:
    return sorted(HERE.glob(DATA_GLOB))


def load(path: Path | None = None) -> Upstream:
    """The committed list (the one data file there is), or the file given."""
    if path is None:
        files = committed()
        if len(files) != 1:
            raise FileNotFoundError(f"expected one {DATA_GLOB} in {HERE}, found {[f.name for f in files]}")
        path = files[0]
    return parse(path.read_text(encoding="utf-8"))
