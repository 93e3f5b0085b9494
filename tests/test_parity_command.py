"""README's parity command MUST work as written, with no cluster: it prints, per upstream file in scope,
each spec and the guarantees covering it, with the counts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reports.parity.upstream import load

if TYPE_CHECKING:
    from conftest import ReadmeCommands  # tests/conftest.py: the readme fixture


def test_the_readme_parity_command_prints_every_file_with_its_counts(
    readme: ReadmeCommands, tmp_path: Path
) -> None:
    done = readme.run(readme.command("parity"), tmp_path, timeout=300)
    assert done.returncode == 0, done.output
    upstream = load()
    for file in upstream.files:
        assert f"{file.path} ({file.scope}): {len(upstream.of_file(file))} spec" in done.output
    assert f"all {len(upstream.files)} files: {len(upstream.specs)} specs:" in done.output
    assert "<- conformance/daemonset/test_rollback.py::" in done.output
    assert done.output.count("test/e2e/apps/daemon_set.go (every spec)") == 2  # all files, then one
