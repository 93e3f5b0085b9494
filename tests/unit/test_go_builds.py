"""What a Go build's cache key covers: a main.go of this project's is part of it."""

from __future__ import annotations

from dataclasses import replace

from clusters.build import components
from clusters.build.binaries import build_key
from clusters.build.gobuild import GoBuild
from clusters.versions import load

PLAIN = GoBuild(name="crictl", module="sigs.k8s.io/cri-tools", version="v1.36.0", packages=["x/cmd/crictl"])


def test_a_build_without_a_main_of_its_own_keeps_its_key_fields() -> None:
    assert "main" not in PLAIN.fingerprint()


def test_the_main_text_is_part_of_the_key() -> None:
    lean = replace(PLAIN, packages=["."], main_text="package main\n")
    other = replace(lean, main_text="package main\n\nfunc init() {}\n")
    keys = {build_key(b, "go1.26") for b in (PLAIN, lean, other)}
    assert len(keys) == 3


def test_coredns_is_built_from_the_projects_main_with_the_clusters_plugins() -> None:
    (coredns,) = [b for b in components.simple_builds(load()) if b.name == "coredns"]
    assert coredns.packages == ["."] and coredns.rename == {"wcbuild": "coredns"}
    for plugin in ("kubernetes", "forward", "cache", "loop", "reload", "loadbalance", "health", "ready"):
        assert f'"github.com/coredns/coredns/plugin/{plugin}"' in coredns.main_text, plugin
    assert '"github.com/coredns/coredns/coremain"' in coredns.main_text
