"""The certification bundle of a run: one archive a certifier can keep, hand on and check.

``certification-<run-id>.tar.gz`` holds the run's summary.json, junit.xml, allure-results/ and
report.html, the cluster facts (facts.json), what ran (suite.json: the suite's version and commit, the
exact command line), and MANIFEST.sha256 with the SHA-256 of every other file. ``verify`` recomputes
them: a file edited, added or taken away after the run is named. (A manifest can be rewritten along
with the files it lists; it shows a changed file, it does not sign one.)
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from reports.model import Run

MANIFEST = "MANIFEST.sha256"
FACTS = "facts.json"
SUITE = "suite.json"
PACKAGE = "workload-conformance"
INCLUDED = ("summary.json", "junit.xml", "report.html", "allure-results")


def file_name(run_id: str) -> str:
    return f"certification-{run_id}.tar.gz"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def suite_identity(source: Path) -> dict[str, str]:
    """The suite's version and, in a git checkout, its commit (``+dirty`` with uncommitted changes)."""
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = "unknown (not a git checkout)"
    try:
        head = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit = head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"version": version, "commit": commit}


def _members(run_dir: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in INCLUDED:
        path = run_dir / name
        if path.is_file():
            files[name] = path.read_bytes()
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                files[child.relative_to(run_dir).as_posix()] = child.read_bytes()
    return files


def write(run: Run, run_dir: Path, *, command: list[str], source: Path) -> Path:
    """Write the bundle of the run whose reports are in ``run_dir``; returns its path."""
    files = _members(run_dir)
    files[FACTS] = (json.dumps(run.facts, indent=2, sort_keys=True) + "\n").encode()
    suite = {**suite_identity(source), "command": command, "run_id": run.run_id}
    files[SUITE] = (json.dumps(suite, indent=2) + "\n").encode()
    files[MANIFEST] = "".join(f"{_sha256(data)}  {name}\n" for name, data in sorted(files.items())).encode()
    path = run_dir / file_name(run.run_id)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(run.end or run.start)
            archive.addfile(info, io.BytesIO(data))
    return path


@dataclass(frozen=True)
class Check:
    """What verify found: the problems (empty when intact), how many files matched, and the verdict."""

    problems: list[str]
    matched: int
    verdict_line: str | None

    @property
    def intact(self) -> bool:
        return not self.problems


class BundleUnreadable(Exception):
    """Not a bundle: not a tar.gz archive, or no manifest in it."""


def verify(path: Path) -> Check:
    """Recompute every file's SHA-256 against the manifest; name what differs, is missing or is extra."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            contents = {
                member.name: archive.extractfile(member).read()  # type: ignore[union-attr]
                for member in archive.getmembers()
                if member.isfile()
            }
    except (OSError, tarfile.TarError, EOFError) as err:
        raise BundleUnreadable(f"{path} is not a readable bundle: {err}") from err
    if MANIFEST not in contents:
        raise BundleUnreadable(f"{path} has no {MANIFEST}")
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(contents.pop(MANIFEST).decode("utf-8", "replace").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if not name or len(digest) != 64:
            problems.append(f"{MANIFEST} line {number} is not '<sha256>  <file>': {line!r}")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        if name not in contents:
            problems.append(f"{name}: listed in the manifest, missing from the bundle")
        elif _sha256(contents[name]) != digest:
            problems.append(f"{name}: changed since the run (SHA-256 differs from the manifest)")
    problems += [
        f"{name}: in the bundle, not in the manifest" for name in sorted(set(contents) - set(listed))
    ]
    verdict_line = None
    try:
        verdict = json.loads(contents.get("summary.json", b"{}")).get("verdict") or {}
        verdict_line = verdict.get("line")
    except ValueError:
        problems.append("summary.json: not JSON")
    matched = sum(1 for name in listed if name in contents and _sha256(contents[name]) == listed[name])
    return Check(problems, matched, verdict_line)
