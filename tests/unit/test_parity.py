"""Parity with upstream e2e cannot drift: every upstream [Conformance] spec of an enforced file has a
guarantee, every ``upstream`` marker names a spec of the committed list, and the list is what the pinned
Kubernetes module holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.parity import refresh
from reports.parity.claims import COVERED, STRICTER, BadMarker, Claim, read_marker, unknown_refs
from reports.parity.collect import SUITE, CollectFailed, collect
from reports.parity.table import MISSING, build
from reports.parity.upstream import load

# The upstream files whose [Conformance] specs must each have a guarantee: every file in scope (the two
# storage files have no [Conformance] spec among those that run a StatefulSet).
ENFORCED = (
    "daemon_set.go",
    "controller_revision.go",
    "statefulset.go",
    "dns.go",
    "persistent_volumes.go",
    "persistent_volumes-local.go",
)


@pytest.fixture(scope="module")
def claims(tmp_path_factory: pytest.TempPathFactory) -> list[Claim]:
    """The suite's claims, collected where no cluster, kubeconfig or Docker engine could be reached."""
    cache = tmp_path_factory.mktemp("no-cache")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KUBECONFIG", str(cache / "absent-kubeconfig"))
        env.setenv("DOCKER_HOST", f"unix://{cache}/absent-docker.sock")
        env.setenv("WC_CACHE_DIR", str(cache))
        guarantees, found = collect(SUITE)
    assert guarantees, "collecting conformance/ found no guarantee"
    return found


def test_every_enforced_conformance_spec_has_a_guarantee(claims: list[Claim]) -> None:
    missing = [
        f"{table.file.name}: {row.spec.text}"
        for table in build(load(), claims, ENFORCED)
        for row in table.rows
        if row.spec.conformance and row.status == MISSING
    ]
    assert not missing, "upstream [Conformance] specs no guarantee covers:\n" + "\n".join(missing)


def test_every_upstream_marker_names_a_spec_in_the_list(claims: list[Claim]) -> None:
    assert claims, "no guarantee carries an upstream marker"
    assert not unknown_refs(claims, load())


def test_the_list_is_for_the_pinned_kubernetes_version() -> None:
    assert load().kubernetes == refresh.pinned_version(), "run: python -m reports.parity refresh"


def test_the_list_is_what_the_pinned_module_holds() -> None:
    version = refresh.pinned_version()
    module = refresh.module_dir(version)
    if module is None:
        pytest.skip(f"k8s.io/kubernetes@{version} is not in Go's module cache (a build artefact)")
    committed = Path(refresh.__file__).with_name(f"upstream_{version}.toml").read_text(encoding="utf-8")
    assert refresh.generate(module, version) == committed, "run: python -m reports.parity refresh"


def test_the_list_holds_every_file_in_scope_with_its_specs() -> None:
    upstream = load()
    assert [f.path for f in upstream.files] == [scope.path for scope in refresh.SCOPE]
    assert all(upstream.of_file(f) for f in upstream.files), "a file in scope has no spec"
    assert len(upstream.by_ref()) == len(upstream.specs), "two specs share a ref"


def test_a_misspelt_spec_stops_collection_with_the_closest_names(tmp_path: Path) -> None:
    suite = tmp_path / "conformance"
    suite.mkdir()
    (suite / "test_typo.py").write_text(
        "import pytest\n\n\n"
        '@pytest.mark.upstream("daemon_set.go: should run and stop simple daemons", parity="covered")\n'
        "def test_typo():\n    pass\n"
    )
    closest = "did you mean 'daemon_set.go: should run and stop simple daemon'"
    with pytest.raises(CollectFailed, match=closest):
        collect(suite)


@pytest.mark.parametrize(
    ("args", "kwargs", "problem"),
    [
        (("daemon_set.go: x",), {}, "parity=None"),
        (("daemon_set.go: x",), {"parity": "partly"}, "parity='partly'"),
        ((), {"parity": COVERED}, "names no spec"),
        (("should run and stop simple daemon",), {"parity": COVERED}, "is not"),
        (("daemon_set.go: x",), {"parity": COVERED, "why": "?"}, "unknown argument"),
    ],
)
def test_a_marker_must_name_specs_and_a_parity(args: tuple, kwargs: dict, problem: str) -> None:
    with pytest.raises(BadMarker, match=problem):
        read_marker("conformance/x/test_x.py::test_x", args, kwargs)


def test_a_spec_is_as_strict_as_its_strictest_guarantee_and_missing_without_one() -> None:
    upstream = load()
    first, second = upstream.specs[:2]
    claims = [
        Claim("a::t", first.ref, COVERED),
        Claim("b::t", first.ref, STRICTER, "more"),
        Claim("c::t", "nowhere.go: nothing", COVERED),
    ]
    (table,) = build(upstream, claims, [first.file])
    rows = {row.spec.ref: row for row in table.rows}
    assert rows[first.ref].status == STRICTER and len(rows[first.ref].claims) == 2
    assert rows[second.ref].status == MISSING
    assert table.count(STRICTER) == 1 and table.count(MISSING) == len(table.rows) - 1
    assert unknown_refs(claims, upstream) == [
        "c::t: 'nowhere.go: nothing' is not an upstream spec of Kubernetes v1.37.1 in the parity list"
    ]
