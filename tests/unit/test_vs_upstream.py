"""The pure parts of the benchmark against upstream e2e.test: which specs and guarantees are paired, the
manifest's image names, the Ginkgo report, the verdict comparison and the BENCHMARKS.md section."""

import json

import pytest

from clusters.build.upstream_e2e import image_configs, local_references
from clusters.ginkgo_report import SpecResult, focus_file_args, spec_results
from clusters.vs_upstream import pairings
from clusters.vs_upstream_table import (
    SECTION_HEADING,
    Judged,
    Row,
    SuiteRun,
    append_section,
    ratio,
    render,
)
from reports.parity.claims import Claim
from reports.parity.upstream import Upstream, UpstreamFile, UpstreamSpec

MANIFEST = """
	configs[AgnhostPrev] = Config{list.PromoterE2eRegistry, "agnhost", "2.55"}
	configs[Agnhost] = Config{list.PromoterE2eRegistry, "agnhost", "2.66.1"}
	configs[AgnhostPrivate] = Config{list.PrivateRegistry, "agnhost", "2.6"}
	configs[Pause] = Config{list.GcRegistry, "pause", "3.10.2"}
"""


def test_the_manifest_names_each_image_by_registry_field_name_and_version() -> None:
    configs = image_configs(MANIFEST)
    assert configs["Agnhost"].registry_field == "promoterE2eRegistry"
    assert (configs["AgnhostPrev"].name, configs["AgnhostPrev"].version) == ("agnhost", "2.55")
    assert configs["Pause"].registry_field == "gcRegistry"


def test_local_references_use_the_remapped_registry() -> None:
    refs = local_references(image_configs(MANIFEST), ("Agnhost", "AgnhostPrev"), "localhost/x/e2e")
    assert refs == ["localhost/x/e2e/agnhost:2.66.1", "localhost/x/e2e/agnhost:2.55"]


def test_images_from_two_registries_cannot_share_one_remapping() -> None:
    with pytest.raises(ValueError, match="several registries"):
        local_references(image_configs(MANIFEST), ("Agnhost", "Pause"), "localhost/x")


def _spec_report(file: str, line: int, state: str, leaf_type: str = "It") -> dict[str, object]:
    return {
        "ContainerHierarchyTexts": ["[sig-apps] Daemon set [Serial]"],
        "LeafNodeText": "should run and stop simple daemon [Conformance]",
        "LeafNodeType": leaf_type,
        "LeafNodeLocation": {"FileName": file, "LineNumber": line},
        "State": state,
        "RunTime": 12_500_000_000,
        "Failure": {"Message": "timed out"} if state == "failed" else {},
    }


def test_the_ginkgo_report_gives_each_it_with_its_place_state_and_time() -> None:
    report = [
        {
            "SpecReports": [
                _spec_report("k8s.io/kubernetes@v1.37.1/test/e2e/apps/daemon_set.go", 179, "passed"),
                _spec_report(
                    "k8s.io/kubernetes@v1.37.1/test/e2e/e2e.go", 77, "passed", "SynchronizedBeforeSuite"
                ),
                _spec_report("k8s.io/kubernetes@v1.37.1/test/e2e/apps/daemon_set.go", 307, "failed"),
            ]
        }
    ]
    results = spec_results(json.dumps(report))
    assert [(r.line, r.state) for r in results] == [(179, "passed"), (307, "failed")]
    assert results[0].seconds == pytest.approx(12.5)
    assert results[0].name.startswith("[sig-apps] Daemon set [Serial] should run")
    assert results[1].failure == "timed out"
    assert results[0].at("test/e2e/apps/daemon_set.go", 179)
    assert not results[0].at("test/e2e/apps/daemon_set.go", 307)
    assert not results[0].at("e2e/apps/other_daemon_set.go", 179)


def test_focus_names_each_spec_by_file_and_line() -> None:
    args = focus_file_args([("test/e2e/apps/daemon_set.go", 179), ("test/e2e/apps/statefulset.go", 984)])
    assert args == [
        "--ginkgo.focus-file=test/e2e/apps/daemon_set.go:179",
        "--ginkgo.focus-file=test/e2e/apps/statefulset.go:984",
    ]


def _spec(ref: str, line: int, tags: tuple[str, ...]) -> UpstreamSpec:
    return UpstreamSpec(ref=ref, file="test/e2e/apps/daemon_set.go", line=line, name=ref, tags=tags)


def test_pairings_are_the_conformance_specs_with_the_guarantees_claiming_them() -> None:
    upstream = Upstream(
        kubernetes="v1.37.1",
        files=(UpstreamFile("test/e2e/apps/daemon_set.go", "every spec"),),
        specs=(
            _spec("daemon_set.go: a", 1, ("Conformance", "Serial")),
            _spec("daemon_set.go: b", 2, ("Serial",)),
            _spec("daemon_set.go: c", 3, ("Conformance",)),
        ),
    )
    claims = [
        Claim("conformance/daemonset/test_x.py::test_x", "daemon_set.go: a", "stricter"),
        Claim("conformance/daemonset/test_y.py::test_y", "daemon_set.go: a", "covered"),
        Claim("conformance/daemonset/test_y.py::test_y", "daemon_set.go: b", "covered"),
    ]
    found = pairings(upstream, claims, files=("daemon_set.go",))
    assert [(p.spec.ref, p.guarantees) for p in found] == [
        (
            "daemon_set.go: a",
            ("conformance/daemonset/test_x.py::test_x", "conformance/daemonset/test_y.py::test_y"),
        ),
        ("daemon_set.go: c", ()),
    ]


def _result(state: str) -> SpecResult:
    return SpecResult("test/e2e/apps/daemon_set.go", 179, "simple daemon", state, 30.0)


def _run(**judgements: str) -> SuiteRun:
    return SuiteRun("serial (-n 0)", 20.0, {n: Judged(n, j, 10.0) for n, j in judgements.items()})


def test_verdicts_are_the_same_when_passed_meets_holds_and_failed_meets_broken() -> None:
    row = Row("daemon_set.go: a", _result("passed"), ("g1", "g2"))
    assert row.same_verdict(_run(g1="holds", g2="holds"))
    assert not row.same_verdict(_run(g1="holds", g2="broken"))
    assert row.suite_verdict(_run(g1="holds", g2="broken")) == "broken"
    assert row.suite_verdict(_run(g1="holds", g2="not verified")) == "not verified"
    assert row.suite_verdict(_run(g1="holds")) == "not run"
    failed = Row("daemon_set.go: a", _result("failed"), ("g1",))
    assert failed.same_verdict(_run(g1="broken"))
    assert not Row("daemon_set.go: a", None, ("g1",)).same_verdict(_run(g1="holds"))


def test_the_section_shows_both_wall_times_the_ratio_and_the_verdicts() -> None:
    rows = [Row("daemon_set.go: a", _result("passed"), ("conformance/daemonset/test_x.py::test_x",))]
    run = SuiteRun(
        "serial (-n 0)", 20.0, {"conformance/daemonset/test_x.py::test_x": Judged("x", "holds", 9)}
    )
    text = render("2026-12-01, 1 spec", ["2 cores"], rows, 60.0, [run], ["daemon_set.go: c"])
    assert text.startswith("### 2026-12-01, 1 spec\n\n- 2 cores\n")
    assert "| daemon_set.go: a | passed | 30 | holds: `test_x` | 9 |" in text
    assert "| upstream e2e.test, serial | 60 |" in text
    assert "| this suite, serial (-n 0) | 20 | 3.00 | 1 of 1 |" in text
    assert "daemon_set.go: c" in text
    assert ratio(60.0, 0.0) == float("inf")


def test_sections_gather_under_their_heading_before_the_next_one() -> None:
    first = append_section("# Benchmarks\n\ntext\n", "### one\nbody\n")
    assert first == f"# Benchmarks\n\ntext\n\n{SECTION_HEADING}\n\n### one\nbody\n"
    later = append_section(first + "\n## Other\nmore\n", "### two\n")
    assert later.index("### one") < later.index("### two") < later.index("## Other")
    assert "### two\n\n## Other\nmore\n" in later
