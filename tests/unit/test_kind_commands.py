"""pytest-kind's KindCluster on the toolchain's binaries: never a download, every call bounded, and
failures as CommandError with what kubectl said."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import pytest_kind.cluster

from clusters.commands import CommandError
from clusters.kind_commands import ToolchainKindCluster
from clusters.toolchain_spec import Toolchain

# What kind writes on create: pytest-kind reads it back.
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: kind-wc-unit
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: kind-wc-unit
  user: {token: "t"}
contexts:
- name: kind-wc-unit
  context: {cluster: kind-wc-unit, user: kind-wc-unit}
current-context: kind-wc-unit
"""


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def kind_cluster(tmp_path: Path, kind: Path, kubectl: Path) -> ToolchainKindCluster:
    toolchain = Toolchain("hermetic", kind, kubectl, "node:test", "toolbox:test", "v1.37.1", "v0.33.0")
    return ToolchainKindCluster("wc-unit", toolchain, tmp_path / "kubeconfig")


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # KindCluster makes .pytest-kind/<name> in the working folder

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"pytest-kind tried to download {args}")

    monkeypatch.setattr(pytest_kind.cluster.requests, "get", refuse)


def test_missing_binaries_fail_like_missing_commands_instead_of_being_downloaded(tmp_path: Path) -> None:
    cluster = kind_cluster(tmp_path, tmp_path / "no-kind", tmp_path / "no-kubectl")
    for call in (
        lambda: cluster.create_within(5, tmp_path / "config.yaml"),
        lambda: cluster.delete_within(5),
        lambda: cluster.load_docker_image_within(5, "image:1"),
        lambda: cluster.kubectl_output("get", "nodes"),
    ):
        with pytest.raises(CommandError, match="not found") as failed:
            call()
        assert failed.value.returncode == 127


def test_kind_gets_the_name_image_kubeconfig_and_config(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    kind = script(
        tmp_path / "kind",
        f'echo "$@" >> {calls}\n'
        f'if [ "$1" = create ]; then cat > {tmp_path / "kubeconfig"} <<EOF\n{KUBECONFIG}EOF\nfi\n',
    )
    cluster = kind_cluster(tmp_path, kind, tmp_path / "kubectl")
    cluster.create_within(30, tmp_path / "config.yaml")
    cluster.load_docker_image_within(30, "image:1")
    cluster.delete_within(30)
    assert calls.read_text().splitlines() == [
        "get clusters",
        f"create cluster --name=wc-unit --kubeconfig={tmp_path / 'kubeconfig'} --image=node:test "
        f"--config {tmp_path / 'config.yaml'}",
        "load docker-image --name wc-unit image:1",
        f"delete cluster --name=wc-unit --kubeconfig={tmp_path / 'kubeconfig'}",
    ]


def test_a_kind_that_hangs_is_killed_at_the_timeout(tmp_path: Path) -> None:
    kind = script(tmp_path / "kind", "sleep 15\n")  # the kind process is sh: it is killed, sleep ends alone
    cluster = kind_cluster(tmp_path, kind, tmp_path / "kubectl")
    started = time.monotonic()
    with pytest.raises(CommandError, match="timed out after 0.5s") as failed:
        cluster.delete_within(0.5)
    assert time.monotonic() - started < 10
    assert failed.value.returncode == -1


def test_a_kind_failure_names_the_command_and_its_exit_code(tmp_path: Path) -> None:
    kind = script(tmp_path / "kind", "echo 'ERROR: failed to load image' >&2\nexit 3\n")
    cluster = kind_cluster(tmp_path, kind, tmp_path / "kubectl")
    with pytest.raises(CommandError, match=r"load docker-image --name wc-unit image:1` exited 3") as failed:
        cluster.load_docker_image_within(30, "image:1")
    assert "output is above" in failed.value.output


def test_kubectl_uses_the_kubeconfig_and_keeps_what_it_said_on_failure(tmp_path: Path) -> None:
    kubectl = script(
        tmp_path / "kubectl",
        'if [ "$1" = fail ]; then echo "error: the server doesn\'t have a resource type" >&2; exit 1; fi\n'
        'echo "$KUBECONFIG $*"\n',
    )
    cluster = kind_cluster(tmp_path, tmp_path / "kind", kubectl)
    assert cluster.kubectl_output("get", "nodes") == f"{tmp_path / 'kubeconfig'} get nodes"
    with pytest.raises(CommandError, match="doesn't have a resource type") as failed:
        cluster.kubectl_output("fail")
    assert failed.value.returncode == 1


def test_kubectl_that_hangs_times_out(tmp_path: Path) -> None:
    kubectl = script(tmp_path / "kubectl", "exec sleep 60\n")
    cluster = kind_cluster(tmp_path, tmp_path / "kind", kubectl)
    with pytest.raises(CommandError, match="timed out after 0.5s") as failed:
        cluster.kubectl_output("wait", timeout=0.5)
    assert failed.value.returncode == -1
