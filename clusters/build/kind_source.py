"""Read what a node image needs from kind's own Go module: base-image files and default manifests."""

from __future__ import annotations

import re
from pathlib import Path

_STRING_CONST = re.compile(r'^\s*(?:const\s+)?(\w+)\s*=\s*"([^"]*)"\s*$', re.M)
_TOKEN = re.compile(r"`([^`]*)`|(\w+)|(\+)|(\s+)")


def go_string_constants(source: str) -> dict[str, str]:
    """Simple `name = "value"` string constants of a Go file."""
    return dict(_STRING_CONST.findall(source))


def go_concatenated_constant(source: str, name: str, overrides: dict[str, str]) -> str:
    """Evaluate `const name = `raw` + ident + `raw`...` from a Go file, resolving identifiers from the
    file's string constants, with overrides taking precedence."""
    start = re.search(rf"\bconst\s+{re.escape(name)}\s*=\s*", source)
    if not start:
        raise ValueError(f"constant {name} not found")
    constants = {**go_string_constants(source), **overrides}
    pos = start.end()
    parts: list[str] = []
    expect_operand = True
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match:
            break
        raw, ident, plus, space = match.groups()
        if space is not None:
            if "\n" in space and not expect_operand:
                break  # end of the expression
        elif plus is not None:
            expect_operand = True
        elif expect_operand and raw is not None:
            parts.append(raw)
            expect_operand = False
        elif expect_operand and ident is not None:
            if ident not in constants:
                raise ValueError(f"{name} refers to {ident}, which is not a string constant")
            parts.append(constants[ident])
            expect_operand = False
        else:
            break
        pos = match.end()
    return "".join(parts)


def default_cni_manifest(kind_dir: Path, kindnetd_image: str) -> str:
    source = (kind_dir / "pkg/build/nodeimage/const_cni.go").read_text()
    return go_concatenated_constant(source, "defaultCNIManifest", {"kindnetdImage": kindnetd_image})


def default_storage_manifest(kind_dir: Path, provisioner_image: str, helper_image: str) -> str:
    source = (kind_dir / "pkg/build/nodeimage/const_storage.go").read_text()
    overrides = {"storageProvisionerImage": provisioner_image, "storageHelperImage": helper_image}
    return go_concatenated_constant(source, "defaultStorageManifest", overrides)


def base_files_dir(kind_dir: Path) -> Path:
    """kind's base-image files (entrypoint, containerd and systemd units, kubelet drop-ins)."""
    path = kind_dir / "images/base/files"
    if not (path / "usr/local/bin/entrypoint").is_file():
        raise FileNotFoundError(f"{path}: kind's base image files are missing from the module")
    return path


def patch_containerd_config(config: str, sandbox_image: str) -> str:
    """kind's containerd config, adjusted for this host: restrict_oom_score_adj on (pods cannot lower
    their oom_score_adj in this sandbox) and the sandbox image kubeadm expects."""
    patched, count = re.subn(r"restrict_oom_score_adj\s*=\s*\w+", "restrict_oom_score_adj = true", config)
    if count != 1:
        raise ValueError("restrict_oom_score_adj not found exactly once in kind's containerd config")
    patched, count = re.subn(r'sandbox_image\s*=\s*"[^"]*"', f'sandbox_image = "{sandbox_image}"', patched)
    if count != 1:
        raise ValueError("sandbox_image not found exactly once in kind's containerd config")
    return patched
