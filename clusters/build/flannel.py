"""flannel, the sample second CNI: what is built from which module, its two images, its manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clusters.build.gobuild import GoBuild
from clusters.build.images import PATH_ENV, ImageRecipe
from clusters.versions import Versions

# Bump when the flannel image recipes or the manifest rendering change.
RECIPE = "1"
FLANNEL_MODULE = "github.com/flannel-io/flannel"
PLUGINS_MODULE = "github.com/containernetworking/plugins"
TENCENT_SDK_MODULES = tuple(
    f"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/{name}" for name in ("common", "vpc")
)
MANIFEST_IN_MODULE = "Documentation/kube-flannel.yml"
BACKENDS = ("host-gw", "alloc")
# The backend packages flanneld is built with (pkg/backend/<name>): the two above and vxlan, flannel's
# default. The others main.go imports (ipsec, wireguard, udp, extension, tencentvpc) pull in cloud SDKs,
# strongSwan and cgo, and roughly doubled the cold build inside the CNI tests.
KEPT_BACKEND_PACKAGES = ("alloc", "hostgw", "vxlan")
# kind's default podSubnet: flannel's Network must be the range kube-controller-manager allocates from.
POD_NETWORK = "10.244.0.0/16"
# No registry serves these images: a node that lacks them should say so (ErrImageNeverPull) at once
# rather than retry a pull that cannot work.
PULL_POLICY = "Never"

FLANNEL_CONTAINER = "kube-flannel"
INSTALL_CONF_CONTAINER = "install-cni"
PLUGIN_CONTAINER = "install-cni-plugin"
CONFIG_MAP = "kube-flannel-cfg"


def lean_main(main_go: str, keep: tuple[str, ...] = KEPT_BACKEND_PACKAGES) -> str:
    """flannel's main.go (read from the module at build time) without the blank imports of the backends
    not kept. Raises ValueError where main.go no longer imports a kept backend that way, or imports none
    this would drop: the build must not silently keep every backend or lose one."""
    prefix = f'_ "{FLANNEL_MODULE}/pkg/backend/'
    kept, dropped, lines = set(), [], []
    for line in main_go.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(prefix) and stripped.endswith('"'):
            name = stripped[len(prefix) : -1]
            if name in keep:
                kept.add(name)
            else:
                dropped.append(name)
                continue
        lines.append(line)
    if missing := sorted(set(keep) - kept):
        raise ValueError(f"flannel's main.go does not blank-import the backends {', '.join(missing)}")
    if not dropped:
        raise ValueError("flannel's main.go blank-imports no backend beyond the kept ones")
    return "".join(lines)


def flannel_build(v: Versions, main_go: str) -> GoBuild:
    """flanneld, from the module's main.go with only the kept backends (lean_main), and install-conf.
    Without the udp backend nothing is C, so both binaries are static Go."""
    sdk = v.raw["flannel"]["tencentcloud_sdk"]
    return GoBuild(
        name="flannel",
        module=FLANNEL_MODULE,
        version=v["flannel"],
        packages=[".", f"{FLANNEL_MODULE}/cmd/install_conf"],
        ldflags=[f"-X {FLANNEL_MODULE}/pkg/version.Version={v['flannel']}"],
        main_text=lean_main(main_go),
        replace={module: f"{module} {sdk}" for module in TENCENT_SDK_MODULES},
        rename={"wcbuild": "flanneld", "install_conf": "install-conf"},
    )


def cni_plugin_build(v: Versions) -> GoBuild:
    """The "flannel" CNI meta plugin, from containernetworking/plugins (see versions.toml)."""
    version = v["flannel_cni_plugin"]
    return GoBuild(
        name="flannel-cni-plugin",
        module=PLUGINS_MODULE,
        version=version,
        packages=[f"{PLUGINS_MODULE}/plugins/meta/flannel"],
        ldflags=[f"-X {PLUGINS_MODULE}/pkg/utils/buildversion.BuildVersion={version}"],
    )


@dataclass(frozen=True)
class ManifestPaths:
    """Where the manifest expects the binaries inside its images."""

    flanneld: str
    install_conf: str
    cni_plugin: str


def _daemonset(docs: list[dict[str, Any]]) -> dict[str, Any]:
    found = [d for d in docs if d.get("kind") == "DaemonSet"]
    if len(found) != 1:
        raise ValueError(f"expected one DaemonSet in the flannel manifest, found {len(found)}")
    return found[0]


def _containers(daemonset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = daemonset["spec"]["template"]["spec"]
    return {c["name"]: c for c in [*spec.get("initContainers", []), *spec.get("containers", [])]}


def manifest_paths(docs: list[dict[str, Any]]) -> ManifestPaths:
    """Read the binary paths from the manifest itself, so the images match whatever it runs."""
    containers = _containers(_daemonset(docs))
    try:
        plugin_args = [a for a in containers[PLUGIN_CONTAINER].get("args", []) if not a.startswith("-")]
        return ManifestPaths(
            flanneld=containers[FLANNEL_CONTAINER]["command"][0],
            install_conf=containers[INSTALL_CONF_CONTAINER]["command"][0],
            cni_plugin=plugin_args[0],  # `cp -f SOURCE DEST`
        )
    except (KeyError, IndexError) as err:
        raise ValueError(
            f"the flannel manifest no longer has the containers this build knows: {err}"
        ) from err


def image_recipes(
    flannel_ref: str, plugin_ref: str, base: str, binaries: dict[str, Path], paths: ManifestPaths, v: Versions
) -> list[ImageRecipe]:
    """The flannel image (flanneld + install-conf, iptables from the base) and the plugin image (the
    plugin plus `cp`, which its init container runs)."""
    flannel = ImageRecipe(
        flannel_ref,
        "\n".join(
            [
                f"FROM {base}",
                PATH_ENV,
                f"COPY flanneld {paths.flanneld}",
                f"COPY install-conf {paths.install_conf}",
                f'ENTRYPOINT ["{paths.flanneld}"]',
            ]
        ),
        {"flanneld": binaries["flanneld"], "install-conf": binaries["install-conf"]},
        f"{FLANNEL_MODULE}@{v['flannel']}",
    )
    plugin = ImageRecipe(
        plugin_ref,
        "\n".join([f"FROM {base}", PATH_ENV, f"COPY flannel {paths.cni_plugin}"]),
        {"flannel": binaries["flannel"]},
        f"{PLUGINS_MODULE}@{v['flannel_cni_plugin']} plugins/meta/flannel",
    )
    return [flannel, plugin]


def _image_for(current: str, flannel_image: str, plugin_image: str) -> str:
    repository = current.rsplit("@", 1)[0].rsplit(":", 1)[0]
    if repository.endswith("/flannel-cni-plugin"):
        return plugin_image
    if repository.endswith("/flannel"):
        return flannel_image
    raise ValueError(f"the flannel manifest runs an image this build does not make: {current}")


def _set_images(daemonset: dict[str, Any], flannel_image: str, plugin_image: str) -> None:
    for container in _containers(daemonset).values():
        container["image"] = _image_for(container["image"], flannel_image, plugin_image)
        container["imagePullPolicy"] = PULL_POLICY


def _config_map(docs: list[dict[str, Any]]) -> dict[str, Any]:
    for doc in docs:
        if doc.get("kind") == "ConfigMap" and doc["metadata"]["name"] == CONFIG_MAP:
            return doc
    raise ValueError(f"the flannel manifest has no ConfigMap {CONFIG_MAP}")


def net_conf(text: str, backend: str, network: str = POD_NETWORK) -> str:
    """net-conf.json with the chosen backend and network."""
    if backend not in BACKENDS:
        raise ValueError(f"flannel backend {backend!r}: use one of {', '.join(BACKENDS)}")
    conf = json.loads(text)
    conf["Network"] = network
    conf["Backend"] = {"Type": backend}
    return json.dumps(conf, indent=2) + "\n"


def cni_conf(text: str, cni_version: str) -> str:
    """cni-conf.json at a CNI spec version the plugin speaks."""
    conf = json.loads(text)
    conf["cniVersion"] = cni_version
    return json.dumps(conf, indent=2) + "\n"


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the JSON files in the ConfigMap) as literal blocks, as upstream writes them."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def dump_all(docs: list[dict[str, Any]]) -> str:
    return yaml.dump_all(docs, Dumper=_BlockDumper, sort_keys=False, explicit_start=True)


def load_all(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def render_manifest(text: str, flannel_image: str, plugin_image: str, backend: str, cni_version: str) -> str:
    """Upstream's kube-flannel.yml with this build's images, pull policy, backend and CNI version."""
    docs = load_all(text)
    _set_images(_daemonset(docs), flannel_image, plugin_image)
    data = _config_map(docs)["data"]
    data["net-conf.json"] = net_conf(data["net-conf.json"], backend)
    data["cni-conf.json"] = cni_conf(data["cni-conf.json"], cni_version)
    return dump_all(docs)
