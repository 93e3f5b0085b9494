"""The toolbox image (what the suite's test pods run), carried to clusters that cannot pull it from here.

A cluster this suite built has the image on its nodes. Any other cluster pulls it: by default the
registry-served REGISTRY_TOOLBOX; an air-gapped one from a registry of its own, to which
`wc-cluster toolbox --push REGISTRY/NAME[:TAG]` pushes it, or from an archive written by
`wc-cluster toolbox --save FILE` and carried there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clusters.commands import CommandError, run

# agnhost at the version the pinned Kubernetes module's e2e tests use (test/utils/image/manifest.go):
# Alpine with busybox (sh, sleep, cat, timeout), musl's getent (ahostsv4), bind-tools' dig and OpenBSD nc.
REGISTRY_TOOLBOX = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
SAVE_TIMEOUT = 900
PUSH_TIMEOUT = 900

# The reference grammar of the distribution project, without digests: a registry host (a dot or a port
# in it, or localhost), path components of lower-case letters and digits with separators, an optional tag.
_HOST = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_HOST}(?:\.{_HOST})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
TARGET = re.compile(
    rf"(?P<domain>{_DOMAIN})/(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)(?::(?P<tag>[\w][\w.-]{{0,127}}))?"
)
TARGET_FORM = "REGISTRY/NAME[:TAG], e.g. registry.example:5000/conformance/toolbox:1"


class ToolboxTransferError(RuntimeError):
    """The toolbox image cannot be saved or pushed; str() is the one line that says why."""


def push_target(target: str, default_tag: str) -> str:
    """The full reference to push to: ``target`` checked against REGISTRY/NAME[:TAG], with the local
    image's tag when it names none. ToolboxTransferError when it is no such reference."""
    match = TARGET.fullmatch(target)
    if match is None:
        why = "give a tag, not a digest" if "@" in target else f"not of the form {TARGET_FORM}"
        raise ToolboxTransferError(f"--push {target!r}: {why}")
    domain = match["domain"]
    if "." not in domain and ":" not in domain and domain != "localhost":
        raise ToolboxTransferError(
            f"--push {target!r} names no registry ({domain!r} is read as a Docker Hub namespace): "
            f"give {TARGET_FORM}"
        )
    return target if match["tag"] else f"{target}:{default_tag}"


def tag_of(reference: str) -> str:
    """The tag of a name:tag reference (latest when it has none)."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def _said(err: CommandError) -> str:
    """The last line Docker printed, which says why (connection refused, denied, no space)."""
    lines = [line.strip() for line in err.output.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {err.returncode}"


@dataclass(frozen=True)
class LocalImage:
    """The toolbox image in the local Docker engine."""

    reference: str
    image_id: str
    size: int


def local_image(reference: str) -> LocalImage:
    """The image as the engine has it; ToolboxTransferError (naming `wc-cluster build`) when it has not."""
    done = run(["docker", "image", "inspect", "--format", "{{.Id}} {{.Size}}", reference], check=False)
    if done.returncode != 0:
        raise ToolboxTransferError(
            f"toolbox image {reference} is not in the local Docker engine: run `wc-cluster build` "
            "(it builds or fetches it), then rerun"
        )
    image_id, size = done.stdout.split()
    return LocalImage(reference, image_id, int(size))


def check_archive_path(archive: Path) -> None:
    """ToolboxTransferError unless ``archive`` names a file in an existing folder."""
    if not archive.parent.is_dir():
        raise ToolboxTransferError(f"cannot write {archive}: folder {archive.parent} does not exist")
    if archive.is_dir():
        raise ToolboxTransferError(f"cannot write {archive}: it is a folder; give a file name")


def save(image: LocalImage, archive: Path) -> list[str]:
    """`docker save` the image to ``archive``; the lines that say what was written and how to use it."""
    check_archive_path(archive)
    try:
        run(["docker", "save", "-o", archive, image.reference], timeout=SAVE_TIMEOUT)
    except CommandError as err:
        raise ToolboxTransferError(f"cannot save {image.reference} to {archive}: {_said(err)}") from None
    size = archive.stat().st_size / 1e6
    return [
        f"saved {image.reference} ({image.image_id}) to {archive} ({size:.0f} MB)",
        f"at the site: docker load -i {archive.name} && docker tag {image.reference} REGISTRY/NAME:TAG "
        "&& docker push REGISTRY/NAME:TAG",
        "then run the suite with --wc-toolbox-image REGISTRY/NAME:TAG",
    ]


def push(image: LocalImage, target: str) -> list[str]:
    """Tag the image as ``target`` (REGISTRY/NAME[:TAG]) and push it; the lines that say where it is and
    the option that uses it."""
    reference = push_target(target, tag_of(image.reference))
    try:
        run(["docker", "tag", image.reference, reference])
        pushed = run(["docker", "push", reference], timeout=PUSH_TIMEOUT).stdout
    except CommandError as err:
        if reference != image.reference:  # leave no tag behind that names a registry without the image
            run(["docker", "image", "rm", reference], check=False)
        raise ToolboxTransferError(f"cannot push {image.reference} to {reference}: {_said(err)}") from None
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed)
    return [
        f"pushed {image.reference} ({image.image_id}) as {reference}"
        + (f" (digest {digest[1]})" if digest else ""),
        f"run the suite with --wc-toolbox-image {reference}",
    ]
