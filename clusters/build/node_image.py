"""Assemble a kind node image: Debian rootfs + kind's base files + runtime + Kubernetes + preloaded images."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from clusters.build.docker_images import build_image, labels
from clusters.build.kind_source import base_files_dir, patch_containerd_config
from clusters.commands import CommandError, run

NODE_ENTRYPOINT = '["/usr/local/bin/entrypoint", "/sbin/init"]'

# Mirrors what kind's base image does after installing packages: a quiet systemd that starts only
# containerd, kubelet and kind's mount fix-up.
_SYSTEMD_SETUP = " && ".join(
    [
        "find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete",
        "rm -f /lib/systemd/system/multi-user.target.wants/*",
        "rm -f /etc/systemd/system/*.wants/*",
        "rm -f /lib/systemd/system/local-fs.target.wants/*",
        "rm -f /lib/systemd/system/sockets.target.wants/*udev*",
        "rm -f /lib/systemd/system/sockets.target.wants/*initctl*",
        "rm -f /lib/systemd/system/basic.target.wants/*",
        'echo "ReadKMsg=no" >> /etc/systemd/journald.conf',
        "ln -sf /usr/lib/systemd/systemd /sbin/init",
        "systemctl enable kubelet.service containerd.service undo-mount-hacks.service",
        "systemctl mask systemd-binfmt.service",
    ]
)

_CRI_BASE_SPEC = (
    "ctr oci spec"
    " | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + "
    '{"path": "/kind/bin/mount-product-files.sh"}\''
    " | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json"
)


def node_dockerfile(rootfs_image: str, kubernetes_version: str) -> str:
    return "\n".join(
        [
            f"FROM {rootfs_image}",
            "COPY kind-base/ /",
            "COPY runtime/ /usr/local/bin/",
            "COPY runc /usr/local/sbin/runc",
            "COPY cni/ /opt/cni/bin/",
            "COPY kubernetes/ /usr/bin/",
            "COPY manifests/ /kind/manifests/",
            # modes are set while staging: a chmod here would copy every binary into another layer
            f"RUN {_CRI_BASE_SPEC}"
            f" && {_SYSTEMD_SETUP}"
            " && mkdir -p /etc/kubernetes/manifests /var/lib/containerd"
            f" && echo {kubernetes_version} > /kind/version",
            "ENV container=docker",
            "STOPSIGNAL SIGRTMIN+3",
            f"ENTRYPOINT {NODE_ENTRYPOINT}",
        ]
    )


def build_node_base(
    tag: str,
    rootfs_image: str,
    kind_dir: Path,
    binaries: dict[str, Path],
    manifests: dict[str, str],
    sandbox_image: str,
    kubernetes_version: str,
) -> None:
    """The node image without preloaded images."""
    with tempfile.TemporaryDirectory(prefix="wc-node-files-") as tmp:
        staging = Path(tmp)
        kind_base = staging / "kind-base"
        shutil.copytree(base_files_dir(kind_dir), kind_base)
        for path in [kind_base, *kind_base.rglob("*")]:
            path.chmod(0o755 if path.is_dir() or path.parent.name == "bin" else 0o644)
        config = kind_base / "etc/containerd/config.toml"
        config.write_text(patch_containerd_config(config.read_text(), sandbox_image))
        manifest_dir = staging / "manifests"
        manifest_dir.mkdir()
        for name, text in manifests.items():
            (manifest_dir / name).write_text(text)
            (manifest_dir / name).chmod(0o644)
        runc = staging / "runc"
        shutil.copy2(binaries["runc"], runc)
        runc.chmod(0o755)

        def folder(name: str, members: Sequence[str]) -> Path:
            target = staging / name
            target.mkdir()
            for member in members:
                shutil.copy2(binaries[member], target / member)
                (target / member).chmod(0o755)
            return target

        files = {
            "kind-base": kind_base,
            "manifests": manifest_dir,
            "runtime": folder("runtime", ["containerd", "ctr", "containerd-shim-runc-v2", "crictl"]),
            "runc": runc,
            "cni": folder("cni", ["ptp", "bridge", "loopback", "host-local", "portmap"]),
            "kubernetes": folder("kubernetes", ["kubeadm", "kubelet", "kubectl"]),
        }
        build_image(
            [tag],
            node_dockerfile(rootfs_image, kubernetes_version),
            files,
            labels(f"kind {kind_dir.name} base files, k8s.io/kubernetes@{kubernetes_version}"),
        )


@retry(
    stop=stop_after_delay(60), wait=wait_fixed(0.5), retry=retry_if_exception_type(CommandError), reraise=True
)
def _containerd_answers(container: str) -> None:
    run(["docker", "exec", container, "ctr", "version"])


def preload_images(base_tag: str, final_tag: str, image_refs: Sequence[str]) -> None:
    """Import images into the node's containerd (k8s.io namespace, content only, unpacked on first
    use, as kind's node images carry them), then commit the result as the final node image."""
    container = run(
        ["docker", "run", "-d", "--init", "--privileged", "--entrypoint", "sleep", base_tag, "infinity"]
    ).stdout.strip()
    try:
        run(["docker", "exec", container, "sh", "-c", "nohup containerd >/tmp/containerd.log 2>&1 &"])
        _containerd_answers(container)
        with tempfile.TemporaryDirectory(prefix="wc-preload-") as tmp:
            archive = Path(tmp) / "images.tar"
            run(["docker", "save", "-o", archive, *image_refs], timeout=1800)
            run(["docker", "cp", archive, f"{container}:/tmp/images.tar"], timeout=1800)
        run(
            [
                "docker",
                "exec",
                container,
                "ctr",
                "--namespace=k8s.io",
                "images",
                "import",
                "--all-platforms",
                "--no-unpack",
                "--digests",
                "/tmp/images.tar",
            ],
            timeout=1800,
        )
        listed = set(
            run(
                ["docker", "exec", container, "ctr", "--namespace=k8s.io", "images", "list", "-q"]
            ).stdout.split()
        )
        missing = [ref for ref in image_refs if _normalized(ref) not in listed]
        if missing:
            raise RuntimeError(f"images missing from the node's containerd after import: {missing}")
        run(
            [
                "docker",
                "exec",
                container,
                "sh",
                "-c",
                "pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done;"
                " rm -rf /tmp/images.tar /tmp/containerd.log",
            ]
        )
        run(
            [
                "docker",
                "commit",
                "--change",
                f"ENTRYPOINT {NODE_ENTRYPOINT}",
                "--change",
                "CMD []",
                container,
                final_tag,
            ],
            timeout=1800,
        )
    finally:
        run(["docker", "rm", "-f", "-v", container], check=False)


def _normalized(reference: str) -> str:
    """containerd's fully qualified name for a docker reference."""
    name = reference
    first = name.split("/", 1)[0]
    if "/" not in name or ("." not in first and ":" not in first and first != "localhost"):
        name = f"docker.io/{name if '/' in name else 'library/' + name}"
    return name
