"""The toolbox image for any cluster: which one each toolchain runs, the registry-served default pinned to
the Kubernetes module's agnhost, the hermetic one non-root, and the references `wc-cluster toolbox --push`
accepts."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from clusters import official
from clusters.build.docker_images import image_exists
from clusters.build.hermetic import NON_ROOT, toolbox_recipe
from clusters.progress import Progress
from clusters.toolbox_image import (
    REGISTRY_TOOLBOX,
    ToolboxTransferError,
    local_image,
    push_target,
    tag_of,
)
from clusters.toolchain import toolbox_reference
from clusters.versions import load
from fixtures.facts.toolbox import SUITE_TOOLBOX, TOOLS
from fixtures.resources.pods import NON_ROOT_UID
from reports.parity import refresh


def test_the_official_toolchain_runs_the_registry_served_toolbox_and_the_hermetic_one_its_own() -> None:
    assert toolbox_reference("official") == REGISTRY_TOOLBOX
    hermetic = toolbox_reference("hermetic")
    assert SUITE_TOOLBOX in hermetic and hermetic.endswith("-nonroot"), hermetic


def test_the_registry_toolbox_is_the_agnhost_the_pinned_kubernetes_e2e_tests_use() -> None:
    version = refresh.pinned_version()
    module = refresh.module_dir(version)
    if module is None:
        pytest.skip(f"k8s.io/kubernetes@{version} is not in Go's module cache (a build artefact)")
    manifest = (module / "test/utils/image/manifest.go").read_text(encoding="utf-8")
    pinned = re.search(
        r'configs\[Agnhost\] = Config\{list\.PromoterE2eRegistry, "agnhost", "([^"]+)"\}', manifest
    )
    registry = re.search(r'PromoterE2eRegistry:\s+"([^"]+)"', manifest)
    assert pinned and registry, "manifest.go no longer says where agnhost comes from"
    assert f"{registry[1]}/agnhost:{pinned[1]}" == REGISTRY_TOOLBOX


def test_agnhost_ships_every_tool_the_suite_runs() -> None:
    """agnhost's own Dockerfile: Alpine (busybox: sh, sleep, cat; musl-utils: getent) with bind-tools (dig)
    and netcat-openbsd (nc, the flags -z -v -n -w and -lk the suite uses)."""
    module = refresh.module_dir(refresh.pinned_version())
    if module is None:
        pytest.skip("k8s.io/kubernetes is not in Go's module cache (a build artefact)")
    dockerfile = (module / "test/images/agnhost/Dockerfile").read_text(encoding="utf-8")
    base = (module / "test/images/agnhost/BASEIMAGE").read_text(encoding="utf-8")
    assert re.search(r"^linux/amd64=alpine:", base, re.M)
    installed = re.search(r"apk --update add ([^&]+)&&", dockerfile)
    assert installed and {"bind-tools", "netcat-openbsd"} <= set(installed[1].split())
    assert set(TOOLS) == {"sh", "sleep", "getent", "dig", "nc", "cat"}  # a new tool needs this test again


def test_the_hermetic_toolbox_runs_as_the_suites_non_root_user_by_default() -> None:
    recipe = toolbox_recipe("localhost/x/toolbox:1", "localhost/x/base:1", load())
    assert recipe.dockerfile.splitlines()[-1] == f"USER {NON_ROOT}"
    assert f"{NON_ROOT_UID}:{NON_ROOT_UID}" == NON_ROOT


@pytest.mark.parametrize(
    ("target", "pushed"),
    [
        ("registry.example:5000/conformance/toolbox:1", "registry.example:5000/conformance/toolbox:1"),
        ("127.0.0.1:5000/wc/toolbox", "127.0.0.1:5000/wc/toolbox:abc-nonroot"),
        ("localhost/toolbox", "localhost/toolbox:abc-nonroot"),
        (
            "harbor.corp.example/team_a/wc-tools/toolbox:v1.2",
            "harbor.corp.example/team_a/wc-tools/toolbox:v1.2",
        ),
        ("[fd00::1]:5000/wc/toolbox:x", "[fd00::1]:5000/wc/toolbox:x"),
    ],
)
def test_a_push_target_names_a_registry_and_gets_the_local_tag_when_it_has_none(
    target: str, pushed: str
) -> None:
    assert push_target(target, "abc-nonroot") == pushed


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("conformance/toolbox", "names no registry ('conformance' is read as a Docker Hub namespace)"),
        ("toolbox", "not of the form REGISTRY/NAME[:TAG]"),
        ("registry.example/Toolbox", "not of the form REGISTRY/NAME[:TAG]"),
        ("registry.example/toolbox:", "not of the form REGISTRY/NAME[:TAG]"),
        ("registry.example/toolbox@sha256:" + "0" * 64, "give a tag, not a digest"),
        ("", "not of the form REGISTRY/NAME[:TAG]"),
        ("https://registry.example/toolbox", "not of the form REGISTRY/NAME[:TAG]"),
    ],
)
def test_a_malformed_push_target_is_one_line_saying_why(target: str, said: str) -> None:
    with pytest.raises(ToolboxTransferError) as caught:
        push_target(target, "1")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"--push {target!r}")
    assert said in message


def test_the_tag_of_a_reference() -> None:
    assert tag_of("localhost/workload-conformance/toolbox:44cebee98182-nonroot") == "44cebee98182-nonroot"
    assert tag_of("registry.example:5000/toolbox") == "latest"
    assert tag_of("registry.example:5000/toolbox:1@sha256:" + "0" * 64) == "1"


def test_an_image_the_engine_lacks_names_the_command_that_builds_it() -> None:
    missing = "localhost/workload-conformance-test/never-built:1"
    if not Path("/var/run/docker.sock").exists() or image_exists(missing):
        pytest.skip("needs a Docker engine without that image")
    with pytest.raises(ToolboxTransferError) as caught:
        local_image(missing)
    assert str(caught.value) == (
        f"toolbox image {missing} is not in the local Docker engine: run `wc-cluster build` (it builds or "
        "fetches it), then rerun"
    )


@pytest.mark.parametrize("pulled", [True, False])
def test_the_official_toolchain_pulls_the_registry_toolbox_once_for_its_clusters(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pulled: bool
) -> None:
    """No image built from a Dockerfile: the registry-served toolbox, pulled when the engine lacks it, is
    what its kind clusters get loaded (Cluster.load_toolbox)."""
    commands: list[list[str]] = []
    monkeypatch.setattr(official, "ensure_docker_engine", lambda progress: None)
    monkeypatch.setattr(official, "_download", lambda url, target, progress: tmp_path / target.name)
    monkeypatch.setattr(official, "image_exists", lambda reference: pulled)
    monkeypatch.setattr(official, "run", lambda argv, **_: commands.append([str(a) for a in argv]))
    toolchain = official.fetch(Progress(stream=io.StringIO()))
    assert toolchain.mode == "official" and toolchain.toolbox_image == REGISTRY_TOOLBOX
    assert commands == ([] if pulled else [["docker", "pull", REGISTRY_TOOLBOX]])
