"""`wc-cluster toolbox --save FILE` and `--push REGISTRY/NAME[:TAG]` carry the toolbox image to a cluster
that cannot pull it from here, for real: the saved archive loads back, under a new name, as the very same
image; the pushed image is served by a real registry on this machine (tests/local_registry.py) under the
digest the command printed, and pulls back as the same image. Bad input is one line, without a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from clusters.build.docker_images import image_exists
from clusters.commands import output, run
from clusters.toolchain import resolve, toolbox_reference
from fixtures.facts.cluster_under_test import ClusterUnderTest
from tests.local_registry import free_port, running_registry

MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)


def wc_cluster_toolbox(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "clusters.cli", "toolbox", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def image_id(reference: str) -> str:
    return output(["docker", "image", "inspect", "--format", "{{.Id}}", reference])


@pytest.fixture(scope="module")
def toolbox(wc_cluster: ClusterUnderTest) -> str:
    """The toolchain's toolbox image: built with the run's kind cluster (once, whatever the xdist workers),
    else as `wc-cluster build` builds it."""
    if wc_cluster.kind is None:
        resolve()
    reference = toolbox_reference()
    assert image_exists(reference), f"{reference} is not in the Docker engine after the toolchain build"
    return reference


@pytest.fixture
def untag() -> Iterator[list[str]]:
    """Tags a test makes, removed afterwards (the image itself stays under the toolbox's own tag)."""
    made: list[str] = []
    yield made
    for reference in made:
        run(["docker", "image", "rm", reference], check=False)


def retagged(archive: Path, name: str, folder: Path) -> Path:
    """A copy of a `docker save` archive whose image is named ``name`` instead."""
    unpacked = folder / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="tar")
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert len(manifest) == 1, manifest
    manifest[0]["RepoTags"] = [name]
    (unpacked / "manifest.json").write_text(json.dumps(manifest))
    (unpacked / "repositories").unlink(missing_ok=True)
    copy = folder / "renamed.tar"
    with tarfile.open(copy, "w") as tar:
        for entry in sorted(unpacked.iterdir()):
            tar.add(entry, arcname=entry.name)
    return copy


def test_a_saved_toolbox_loads_back_under_a_new_name_as_the_same_image(
    toolbox: str, tmp_path: Path, untag: list[str]
) -> None:
    archive = tmp_path / "toolbox.tar"
    done = wc_cluster_toolbox("--save", str(archive))
    assert done.returncode == 0, done.stderr
    source_id = image_id(toolbox)
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        rf"saved {re.escape(toolbox)} \({source_id}\) to {re.escape(str(archive))} \(\d+ MB\)", lines[0]
    )
    assert lines[1:] == [
        f"at the site: docker load -i toolbox.tar && docker tag {toolbox} REGISTRY/NAME:TAG "
        "&& docker push REGISTRY/NAME:TAG",
        "then run the suite with --wc-toolbox-image REGISTRY/NAME:TAG",
    ]

    loaded = f"localhost/wc-test-loaded/toolbox:{tmp_path.name.lower()}"
    assert not image_exists(loaded)
    untag.append(loaded)
    said = output(["docker", "load", "-i", retagged(archive, loaded, tmp_path)], timeout=600)
    assert f"Loaded image: {loaded}" in said, said
    assert image_id(loaded) == source_id


def test_a_pushed_toolbox_is_served_by_a_real_registry_and_pulls_back_as_the_same_image(
    toolbox: str, tmp_path: Path, untag: list[str]
) -> None:
    with running_registry(tmp_path / "registry") as address:
        target = f"{address}/conformance/toolbox:pushed"
        untag.append(target)
        done = wc_cluster_toolbox("--push", target)
        assert done.returncode == 0, done.stderr
        source_id = image_id(toolbox)
        first, second = done.stdout.splitlines()
        printed = re.fullmatch(
            rf"pushed {re.escape(toolbox)} \({source_id}\) as {re.escape(target)} "
            r"\(digest (sha256:[0-9a-f]{64})\)",
            first,
        )
        assert printed, first
        assert second == f"run the suite with --wc-toolbox-image {target}"

        request = urllib.request.Request(
            f"http://{address}/v2/conformance/toolbox/manifests/pushed",
            method="HEAD",
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Docker-Content-Digest"] == printed[1]

        run(["docker", "image", "rm", target])  # only the tag: the pull must come from the registry
        pulled = output(["docker", "pull", f"{target}@{printed[1]}"], timeout=600)
        assert f"Digest: {printed[1]}" in pulled, pulled
        untag.append(f"{target.rsplit(':', 1)[0]}@{printed[1]}")
        assert image_id(f"{target.rsplit(':', 1)[0]}@{printed[1]}") == source_id


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exactly one `wc-cluster:` line and no traceback; that line."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and not done.stdout, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("wc-cluster:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_an_unreachable_registry_is_one_line_and_leaves_no_tag_behind(toolbox: str) -> None:
    target = f"127.0.0.1:{free_port()}/conformance/toolbox:never"
    line = one_error_line(wc_cluster_toolbox("--push", target))
    assert re.fullmatch(
        rf"wc-cluster: cannot push {re.escape(toolbox)} to {re.escape(target)}: .*connection refused", line
    )
    assert not image_exists(target)


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["--push", "conformance/toolbox"],
            {},
            "wc-cluster: --push 'conformance/toolbox' names no registry ('conformance' is read as a Docker "
            "Hub namespace): give REGISTRY/NAME[:TAG], e.g. registry.example:5000/conformance/toolbox:1",
        ),
        (
            ["--push", "registry.example/Toolbox"],
            {},
            "wc-cluster: --push 'registry.example/Toolbox': not of the form REGISTRY/NAME[:TAG], e.g. "
            "registry.example:5000/conformance/toolbox:1",
        ),
        (
            ["--save", "/tmp/toolbox.tar"],
            {"DOCKER_HOST": "unix:///nonexistent.sock"},
            "wc-cluster: no Docker engine answers at unix:///nonexistent.sock (DOCKER_HOST): start that "
            "engine, or unset DOCKER_HOST to let this tool start a local one, then rerun",
        ),
        (
            ["--save", "/tmp/toolbox.tar"],
            {"WC_IMAGE_PREFIX": "localhost/wc-never-built", "WC_TOOLCHAIN": "hermetic"},
            r"wc-cluster: toolbox image localhost/wc-never-built/toolbox:\S+ is not in the local Docker "
            r"engine: run `wc-cluster build` \(it builds or fetches it\), then rerun",
        ),
        (
            ["--save", "/nonexistent-folder/toolbox.tar"],
            {},
            "wc-cluster: cannot write /nonexistent-folder/toolbox.tar: folder /nonexistent-folder does not "
            "exist",
        ),
    ],
    ids=["no-registry-in-target", "malformed-target", "no-docker", "image-not-built", "no-such-folder"],
)
def test_bad_input_is_one_line(args: list[str], env: dict[str, str], line: str) -> None:
    said = one_error_line(wc_cluster_toolbox(*args, env={**os.environ, **env}))
    assert said == line or re.fullmatch(line, said), said
