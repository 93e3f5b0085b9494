"""A cluster that cannot be used MUST be reported in one clear line, once per run, without a traceback;
a cluster that cannot host a test MUST make it not verified (a failure), with the reason and the remedy.

Each test runs a tiny suite in a pytest subprocess: the first test needing the cluster errors with the
line, the second is skipped pointing at it, and a test that needs no cluster still passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clusters.toolbox_image import REGISTRY_TOOLBOX
from fixtures.facts.cluster_under_test import ClusterUnderTest
from fixtures.facts.preflight import Preflight

pytest_plugins = ["pytester"]

NEEDS_CLUSTER = """
def test_first(wc_cluster):
    pass


def test_second(namespace):
    pass


def test_without_a_cluster():
    pass
"""

UNREACHABLE_KUBECONFIG = """
apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: someone
  user: {token: not-a-token}
contexts:
- name: nowhere
  context: {cluster: nowhere, user: someone}
current-context: nowhere
"""

TRACEBACK_MARKERS = ("Traceback", "During handling of the above exception", "The above exception was")


def run_needing_cluster(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=NEEDS_CLUSTER)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wc-no-report", "-rs", *args, timeout=300
    )


def assert_reported_once(result: pytest.RunResult, line: str) -> None:
    """The line is the first test's error, on its own, once; the second test is skipped pointing at it."""
    output = result.stdout.str() + result.stderr.str()
    for marker in TRACEBACK_MARKERS:
        assert marker not in output, output
    assert result.outlines.count(line) == 1, output
    result.assert_outcomes(passed=1, errors=1, skipped=1)
    literal = re.sub(r"([*?\[])", r"[\1]", line)  # a kubelet message may hold [::1]: no glob there
    result.stdout.fnmatch_lines([f"SKIPPED*{literal} (reported as an error once, above)"])


def existing(kubeconfig: Path | str) -> tuple[str, ...]:
    return ("--wc-provider", "existing", "--wc-kubeconfig", str(kubeconfig))


def test_unreachable_api_server(pytester: pytest.Pytester) -> None:
    kubeconfig = pytester.path / "unreachable.yaml"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    result = run_needing_cluster(pytester, *existing(kubeconfig))
    assert_reported_once(
        result,
        "cluster unavailable: API server https://127.0.0.1:1 does not answer (connection refused): "
        "check that the cluster runs and the kubeconfig points at it",
    )


def test_kubeconfig_that_is_not_yaml(pytester: pytest.Pytester) -> None:
    kubeconfig = pytester.path / "garbage.yaml"
    kubeconfig.write_text("clusters: [one\n  : }}\n")
    result = run_needing_cluster(pytester, *existing(kubeconfig))
    assert_reported_once(
        result,
        f"cluster unavailable: kubeconfig {kubeconfig} is not valid YAML: "
        "expected ',' or ']', but got ':' at line 2, column 3",
    )


def test_kubeconfig_that_is_yaml_but_no_kubeconfig(pytester: pytest.Pytester) -> None:
    kubeconfig = pytester.path / "words.yaml"
    kubeconfig.write_text("just some words\n")
    result = run_needing_cluster(pytester, *existing(kubeconfig))
    assert_reported_once(
        result,
        f"cluster unavailable: kubeconfig {kubeconfig} is not a kubeconfig (it holds a str): "
        "pass --wc-kubeconfig with one",
    )


def test_missing_kubeconfig(pytester: pytest.Pytester) -> None:
    kubeconfig = pytester.path / "absent.yaml"
    result = run_needing_cluster(pytester, *existing(kubeconfig))
    assert_reported_once(
        result,
        f"cluster unavailable: kubeconfig {kubeconfig} does not exist: "
        "pass --wc-kubeconfig with a readable file",
    )


def test_no_docker_for_the_kind_provider(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    result = run_needing_cluster(pytester, "--wc-provider", "kind", "--wc-cluster-name", "wc-nodocker")
    assert_reported_once(
        result,
        "cluster unavailable: no Docker engine answers at unix:///nonexistent.sock (DOCKER_HOST): "
        "start that engine, or unset DOCKER_HOST to let this tool start a local one, then rerun",
    )


# --- a cluster too small for the test: skipped with the reason -------------------------------------

FAKE_CLUSTER_CONFTEST = """
import pytest

from fixtures.plugin.keys import preflight_key
from fixtures.facts.nodes import NodeInfo
from fixtures.facts.preflight import Preflight
from fixtures.facts.storage_classes import StorageClassInfo

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
OS = "kubernetes.io/os"  # every kubelet sets it; a node without it is out of the suite

@pytest.fixture(scope="session")
def wc_cluster(pytestconfig):
    '''A one-node cluster with no default StorageClass, as the preflight would have read it.'''
    pytestconfig.stash[preflight_key] = Preflight(
        cluster="one-node",
        server_version="v1.37.1",
        nodes=(NodeInfo("solo-control-plane", ready=True, labels={CONTROL_PLANE: "", OS: "linux"}),),
        storage_classes=(StorageClassInfo("manual", "kubernetes.io/no-provisioner"),),
    )
    return object()


@pytest.fixture(scope="session")
def node_safety_net():
    '''The fake cluster has no nodes whose changes need undoing.'''
    yield
"""

NEEDS_MORE = """
import pytest


@pytest.mark.min_workers(3)
def test_spreads_over_three_workers(wc_cluster):
    pass


@pytest.mark.storage
def test_claims_a_volume(wc_cluster):
    pass


def test_asks_for_two_workers(require_workers):
    require_workers(2)


def test_one_worker_is_enough(require_workers):
    assert require_workers(1) == ["solo-control-plane"]
"""


def test_one_node_cluster_and_no_default_storage_class_are_not_verified_with_reasons(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(FAKE_CLUSTER_CONFTEST)
    pytester.makepyfile(test_inner=NEEDS_MORE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wc-no-report", "-rfEs", timeout=300)
    result.assert_outcomes(passed=1, errors=2, failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "E *NotVerified: needs 3 schedulable worker nodes, the cluster has 1: solo-control-plane; "
            "add schedulable Linux workers*",
            "E *NotVerified: needs 2 schedulable worker nodes, the cluster has 1: solo-control-plane*",
            "E *NotVerified: no default StorageClass: found manual (kubernetes.io/no-provisioner), "
            "none annotated storageclass.kubernetes.io/is-default-class=true; give a StorageClass*",
        ]
    )


TOO_MANY_WORKERS = """
import pytest


@pytest.mark.min_workers(10)
def test_needs_ten_workers(namespace):
    raise AssertionError("must not run: the cluster has fewer workers")
"""


def test_real_cluster_with_too_few_workers_is_not_verified_naming_its_nodes(
    pytester: pytest.Pytester, inner_cluster_args: list[str], preflight: Preflight
) -> None:
    pytester.makepyfile(test_inner=TOO_MANY_WORKERS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wc-no-report", "-rE", *inner_cluster_args, timeout=300
    )
    result.assert_outcomes(errors=1)
    # which nodes are schedulable may change while other runs taint nodes of a shared cluster: check the
    # reason's form, and that it accounts for every node
    pattern = re.compile(
        r"E\s+\S*NotVerified: needs 10 schedulable worker nodes, the cluster has (\d+): "
        r"([\w.-]+(?:, [\w.-]+)*)(?: \(not schedulable: (.*)\))?; add schedulable"
    )
    match = next(filter(None, map(pattern.match, result.outlines)), None)
    assert match is not None, result.stdout.str()
    listed = match.group(2).split(", ")
    assert int(match.group(1)) == len(listed) < 10
    unusable = match.group(3) or ""
    for node in preflight.nodes:
        assert node.name in listed or f"{node.name} " in unusable, (node.name, match.group(0))


# --- the toolbox image on an existing cluster: checked once, at the start -------------------------

REMEDY = (
    "pass --wc-toolbox-image with an image holding sh, sleep, getent, dig, nc, cat that a registry the nodes "
    "can pull from serves (or that is already on every node)"
)


def assert_cannot_pull_once(result: pytest.RunResult, named: str, rest: str) -> None:
    """The run stopped with one line (assert_reported_once): ``named`` (a regex) cannot run, the kubelet's
    pull failure on a node, then what matches ``rest``."""
    pattern = re.compile(rf"{named} cannot run: (ErrImagePull|ImagePullBackOff) on node [\w.-]+: {rest}")
    line = next(filter(pattern.fullmatch, result.outlines), None)
    assert line is not None, result.stdout.str()
    assert_reported_once(result, line)


def test_a_toolbox_image_the_nodes_cannot_pull_stops_the_run_in_one_line(
    pytester: pytest.Pytester, wc_cluster: ClusterUnderTest
) -> None:
    """Not a 422 or a pull timeout in every test: one line at the start, naming the image, the kubelet's
    reason and the remedy."""
    result = run_needing_cluster(
        pytester, *existing(wc_cluster.kubeconfig), "--wc-toolbox-image", "localhost/does-not/exist:1"
    )
    assert_cannot_pull_once(
        result, "toolbox image localhost/does-not/exist:1", rf".*does-not/exist.*; {re.escape(REMEDY)}"
    )
    assert result.duration < 60, f"the check took {result.duration:.1f} s"


NODES_WITHOUT_THE_SUITES_TOOLBOX = """
import fixtures.facts.toolbox as toolbox

toolbox.suite_toolbox_on_nodes = lambda nodes: None  # the node list of a cluster this suite did not build
"""


def test_without_a_toolbox_image_a_cluster_this_suite_did_not_build_pulls_the_registry_default(
    pytester: pytest.Pytester, wc_cluster: ClusterUnderTest
) -> None:
    """The default is the registry-served agnhost: here no registry answers, so the real check pod fails to
    pull it, and the run stops with one line saying it was the default and how to bring the image in;
    where a registry answers, the check runs it."""
    pytester.makeconftest(NODES_WITHOUT_THE_SUITES_TOOLBOX)
    result = run_needing_cluster(pytester, *existing(wc_cluster.kubeconfig))
    named = re.escape(f"toolbox image {REGISTRY_TOOLBOX} (the default on a cluster this suite did not build)")
    ran = re.compile(rf"{named} runs: checked on node [\w.-]+ in [\d.]+ s")
    if any(map(ran.fullmatch, result.outlines)):
        result.assert_outcomes(passed=3)
        return
    air_gapped = (
        "on an air-gapped cluster, `wc-cluster toolbox --push REGISTRY/NAME` puts the suite's in a registry"
    )
    assert_cannot_pull_once(result, named, rf".*; {re.escape(REMEDY)}; {re.escape(air_gapped)}")


def test_on_a_cluster_this_suite_built_its_toolbox_is_found_on_the_nodes_and_checked_fast(
    pytester: pytest.Pytester, wc_cluster: ClusterUnderTest
) -> None:
    """Without --wc-toolbox-image, the suite's own image on the nodes is used, after one short check."""
    pytester.makepyfile(test_inner=NEEDS_CLUSTER)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--wc-no-report", *existing(wc_cluster.kubeconfig), timeout=300
    )
    result.assert_outcomes(passed=3)
    pattern = re.compile(
        r"toolbox image \S+/workload-conformance/toolbox:\S+ \(this suite's, found on the nodes\) runs: "
        r"checked on node [\w.-]+ in ([\d.]+) s"
    )
    match = next(filter(None, map(pattern.fullmatch, result.outlines)), None)
    assert match is not None, result.stdout.str()
    assert float(match.group(1)) < 15, match.group(0)  # it costs every run on an existing cluster


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--wc-cni-image-archive", "cni.tar"], "ERROR: CNI images were given without manifests to*"),
        (["--wc-storage-manifest", "driver.yaml"], "ERROR: --wc-storage-manifest needs --wc-storage-class*"),
        (
            [*existing("kubeconfig"), "--wc-cni-manifest", "cni.yaml"],
            "ERROR: --wc-cni-* and --wc-storage-manifest install plugins into a kind*",
        ),
        (
            ["--wc-node-add-command", "scale-up"],
            "ERROR: --wc-node-provider command needs --wc-node-remove-command CMD*",
        ),
        (
            ["--wc-node-provider", "autoscaler", "--wc-node-remove-command", "scale-down {node}"],
            "ERROR: --wc-node-add-command and --wc-node-remove-command are for --wc-node-provider command, *",
        ),
        (
            [*existing("kubeconfig"), "--wc-node-provider", "kind"],
            "ERROR: --wc-node-provider kind joins node containers to a kind cluster this run brings up*",
        ),
        (["--wc-node-timeout", "0"], "ERROR: --wc-node-timeout must be a positive*"),
    ],
    ids=[
        "images-without-manifests",
        "driver-without-class",
        "plugins-for-an-existing-cluster",
        "node-add-command-without-remove",
        "node-commands-for-the-autoscaler",
        "kind-nodes-on-an-existing-cluster",
        "node-timeout-zero",
    ],
)
def test_plugin_options_that_cannot_work_are_a_usage_error_of_one_line(
    pytester: pytest.Pytester, args: list[str], line: str
) -> None:
    pytester.makepyfile(test_inner=NEEDS_CLUSTER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wc-no-report", *args, timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([line])
    assert not any(marker in result.stderr.str() for marker in TRACEBACK_MARKERS)


def test_a_missing_cni_manifest_is_one_line_before_any_cluster_work(pytester: pytest.Pytester) -> None:
    missing = pytester.path / "my-cni.yaml"
    result = run_needing_cluster(
        pytester, "--wc-cluster-name", "wc-never-created", "--wc-cni-manifest", str(missing)
    )
    assert_reported_once(result, f"cluster unavailable: manifest {missing} does not exist")


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["--wc-kubeconfig", "mine.yaml"],
            {},
            "ERROR: --wc-kubeconfig name an existing cluster, but this run would bring up its own kind "
            "cluster and test that instead: add --wc-provider existing",
        ),
        (["--wc-context", "prod"], {}, "ERROR: --wc-context name an existing cluster, but this run*"),
        (
            ["--wc-provider", "existing"],
            {},
            "ERROR: --wc-provider existing needs --wc-kubeconfig PATH",
        ),
        (
            [],
            {"WC_TIMEOUT_SCALE": "fast"},
            "ERROR: WC_TIMEOUT_SCALE: WC_TIMEOUT_SCALE must be a positive*'fast'",
        ),
        (["--wc-timeout-scale", "0"], {}, "ERROR: --wc-timeout-scale: timeout scale must be a positive*0.0"),
        (
            ["--wc-timeout-scale", "nan"],
            {},
            "ERROR: --wc-timeout-scale: timeout scale must be a positive*nan",
        ),
        (
            [],
            {"WC_TOOLCHAIN": "docker"},
            "ERROR: WC_TOOLCHAIN='docker' is not one of auto, hermetic, official",
        ),
        (["--wc-topology", "nowhere.yaml"], {}, "ERROR: --wc-topology: cannot read topology nowhere.yaml*"),
        (["--wc-cluster-name", "My_Cluster"], {}, "ERROR: --wc-cluster-name 'My_Cluster' is not a kind*"),
        (["--wc-storage-bind-timeout", "nan"], {}, "ERROR: --wc-storage-bind-timeout must be a *nan"),
        (["--wc-storage-bind-timeout", "inf"], {}, "ERROR: --wc-storage-bind-timeout must be a *inf"),
        ([], {"WC_CACHE_DIR": "{file}"}, "ERROR: cache folder {file} is not writable*set WC_CACHE_DIR*"),
    ],
    ids=[
        "kubeconfig-for-kind",
        "context-for-kind",
        "existing-without-kubeconfig",
        "scale-env-not-a-number",
        "scale-option-zero",
        "scale-option-nan",
        "unknown-toolchain",
        "missing-topology",
        "bad-cluster-name",
        "bind-timeout-nan",
        "bind-timeout-inf",
        "unwritable-cache",
    ],
)
def test_bad_input_is_one_line_before_any_cluster_work(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    line: str,
) -> None:
    """Each of these stops the run at once with one line and no traceback: never a kind cluster tested in
    place of the user's, never a silently ignored value."""
    blocker = pytester.path / "a-file-not-a-folder"
    blocker.write_text("")
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(file=blocker))
    if "WC_TIMEOUT_SCALE" not in env:
        monkeypatch.delenv("WC_TIMEOUT_SCALE", raising=False)
    pytester.makepyfile(test_inner=NEEDS_CLUSTER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wc-no-report", *args, timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    result.stderr.fnmatch_lines([line.format(file=blocker)])
    assert not any(marker in result.stderr.str() for marker in TRACEBACK_MARKERS)
