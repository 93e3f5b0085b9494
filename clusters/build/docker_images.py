"""Docker image operations the builder needs: does it exist, build from a context, import a rootfs."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from clusters.commands import run

LABEL_PREFIX = "io.workload-conformance"


def image_exists(tag: str) -> bool:
    return run(["docker", "image", "inspect", "--format", "{{.Id}}", tag], check=False).returncode == 0


def import_rootfs(tarball: Path, tag: str) -> None:
    """Turn a rootfs tarball into a one-layer image."""
    run(["docker", "import", tarball, tag], timeout=1800)


def labels(source: str) -> dict[str, str]:
    """Labels that say an image came from this project's hermetic build, and from what."""
    return {f"{LABEL_PREFIX}.build": "hermetic", f"{LABEL_PREFIX}.source": source}


def build_image(
    tags: list[str],
    dockerfile: str,
    files: Mapping[str, Path],
    image_labels: Mapping[str, str],
) -> None:
    """Build an image from a Dockerfile text and files placed in a fresh context (name -> source)."""
    with tempfile.TemporaryDirectory(prefix="wc-image-") as tmp:
        context = Path(tmp)
        for name, source in files.items():
            target = context / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, symlinks=True)
            else:
                shutil.copy2(source, target)
        label_lines = "".join(f'LABEL {key}="{value}"\n' for key, value in sorted(image_labels.items()))
        (context / "Dockerfile").write_text(dockerfile.rstrip() + "\n" + label_lines)
        argv = ["docker", "build", "--quiet"]
        for tag in tags:
            argv += ["-t", tag]
        # The legacy builder: BuildKit is not part of Debian's docker.io 20.10.
        run([*argv, context], env={"DOCKER_BUILDKIT": "0"}, timeout=1800)
