"""The spec tree of a Kubernetes e2e file, read from its Go source, and each spec's name as Ginkgo and the
e2e framework give it.

The names follow the framework's wrappers (test/e2e/framework/ginkgowrapper.go): a container's text is
its strings and its labels in brackets; labels such as [Conformance], [Serial], [Slow] and a feature
gate's stage ([Alpha], [Beta]) are moved to the end of the spec's own text, sorted, once; a spec's full
name is the texts of its containers and its own, joined by spaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reports.parity.gosource import Arg, GoSource

CONTAINERS = ("SIGDescribe", "Describe", "Context", "When")
LEAVES = ("It", "ConformanceIt", "Specify", "Entry")
# Labels the framework shows once, at the end of a spec's text, whatever node added them.
LEAF_LABELS = frozenset(
    {"Conformance", "Disruptive", "Feature:OffByDefault", "Flaky", "NodeConformance", "Serial", "Slow"}
)
FLAG_DECORATORS = {
    "WithConformance": "Conformance",
    "WithNodeConformance": "NodeConformance",
    "WithDisruptive": "Disruptive",
    "WithSerial": "Serial",
    "WithSlow": "Slow",
    "WithFlaky": "Flaky",
}
# Ginkgo's own decorators: they change how a spec runs, never its name.
SILENT = re.compile(
    r"^(ginkgo\.)?(Label|Ordered|Serial|Offset|FlakeAttempts|MustPassRepeatedly|NodeTimeout"
    r"|SpecTimeout|GracePeriod|SuppressProgressReporting|ContinueOnFailure|Pending|Focus)\b"
)
_NODE_CALL = re.compile(r"(?<![\w.])(?:(\w+)\.)?(" + "|".join(CONTAINERS + LEAVES) + r")\s*\(")
_DECORATOR = re.compile(r"^(?:\w+\.)?(With\w+)\((.*)\)$", re.S)


@dataclass(frozen=True)
class Gate:
    """A feature gate a spec depends on, as the pinned Kubernetes defines it."""

    name: str
    stage: str  # "Alpha", "Beta", "Deprecated", or "" for GA
    default: bool
    depends_on: tuple[Gate, ...] = ()


@dataclass
class Node:
    """A Describe/Context (container) or It (leaf) call."""

    kind: str  # the function called: Describe, It, ConformanceIt, ...
    start: int  # offset of the call
    line: int
    texts: list[str] = field(default_factory=list)  # strings and bracketed labels shown in its text
    strings: list[str] = field(default_factory=list)  # its string arguments alone
    labels: set[str] = field(default_factory=set)  # labels, shown here or at the end of the spec
    gates: list[Gate] = field(default_factory=list)
    body: tuple[int, int] | None = None  # the span of its function literal
    problem: str | None = None  # why its name cannot be read
    parent: Node | None = None

    @property
    def leaf(self) -> bool:
        return self.kind in LEAVES

    @property
    def text(self) -> str:
        return " ".join(self.texts)

    def chain(self) -> list[Node]:
        """Its containers, outermost first, and itself."""
        nodes, node = [], self
        while node is not None:
            nodes.append(node)
            node = node.parent
        return nodes[::-1]


@dataclass(frozen=True)
class Spec:
    """One spec of a file: where it is, its own text, its containers' texts, its full name and tags."""

    line: int
    text: str  # the leaf's text as written (its strings, without the labels the framework adds)
    containers: tuple[str, ...]
    name: str  # the full name Ginkgo reports
    labels: tuple[str, ...]  # every label, sorted
    gates: tuple[Gate, ...]
    body: tuple[int, int]  # the span of the leaf's function literal in the file
    problem: str | None = None  # why its name cannot be known from the source (built at run time, ...)


@dataclass(frozen=True)
class Resolvers:
    """What a file's decorators refer to outside it."""

    sig: Callable[[str], str]  # a SIGDescribe qualifier ("" for the file's own package) -> "apps"
    gate: Callable[[str], Gate]  # a feature gate's name -> its definition
    feature: Callable[[str], str]  # a feature.X identifier -> the feature's name


def read_nodes(source: GoSource, resolve: Resolvers) -> list[Node]:
    """Every Ginkgo node of the file, each with its parent; a node that is not directly in its parent's
    function literal (built in a loop over arguments, or in a helper) carries a problem instead."""
    nodes = []
    for match in _NODE_CALL.finditer(source.masked):
        qualifier, kind = match.group(1) or "", match.group(2)
        node = Node(kind=kind, start=match.start(), line=source.line(match.start()))
        if kind == "SIGDescribe":
            _label(node, f"sig-{resolve.sig(qualifier)}")
        _read_args(source, source.args(match.end() - 1), node, resolve)
        if kind == "ConformanceIt":  # framework.ConformanceIt appends WithConformance() to its arguments
            _label(node, "Conformance")
        if kind == "Entry":
            node.problem = "table entries are not read"
        nodes.append(node)
    bodies = source.func_bodies()
    for node in nodes:
        node.parent = _parent(node, nodes, bodies)
    return nodes


def _read_args(source: GoSource, args: list[Arg], node: Node, resolve: Resolvers) -> None:
    for arg in args:
        written = source.masked[arg.start : arg.end]
        if written.startswith("func"):
            node.body = _body_of(source, arg)
            continue
        value = source.string(arg)
        if value is not None:
            first_of_when = node.kind == "When" and not node.strings
            node.texts.append(f"when {value}" if first_of_when else value)  # Ginkgo's When says "when "
            node.strings.append(value)
            continue
        if SILENT.match(written):
            continue
        if written.startswith("feature."):
            _label(node, "Feature:" + resolve.feature(written.removeprefix("feature.")))
            continue
        decorator = _DECORATOR.match(written)
        if decorator is None:
            node.problem = node.problem or f"argument {source.source(arg)!r} is not a literal"
            continue
        name, inner = decorator.group(1), decorator.group(2).strip()
        if name in FLAG_DECORATORS:
            _label(node, FLAG_DECORATORS[name])
        elif name == "WithFeatureGate":
            gate = resolve.gate(inner.rpartition(".")[2])
            node.gates.append(gate)
            _label(node, f"FeatureGate:{gate.name}", shown=True)
        elif name == "WithFeature":
            _label(node, "Feature:" + resolve.feature(inner.rpartition(".")[2]))
        elif name in ("WithLabel", "WithProvider", "WithEnvironment"):
            values = [source.string(a) for a in source.args(arg.start + written.index("("))]
            if None in values:
                node.problem = node.problem or f"{source.source(arg)!r} takes no literal"
                continue
            prefix = {"WithLabel": "", "WithProvider": "Provider:", "WithEnvironment": "Environment:"}[name]
            _label(node, prefix + ",".join(v for v in values if v is not None))
        else:
            node.problem = node.problem or f"unknown decorator {name}"


def _label(node: Node, label: str, *, shown: bool = False) -> None:
    node.labels.add(label)
    if shown or label not in LEAF_LABELS:
        node.texts.append(f"[{label}]")


def _body_of(source: GoSource, arg: Arg) -> tuple[int, int]:
    brace = arg.start
    while source.masked[brace] != "{":
        brace = source.closing(brace) + 1 if source.masked[brace] == "(" else brace + 1
    return brace, source.closing(brace)


def _parent(node: Node, nodes: list[Node], bodies: list[tuple[int, int]]) -> Node | None:
    """The container whose function literal holds the node as its innermost function."""
    holding = [body for body in bodies if body[0] < node.start < body[1]]
    if not holding:
        return None
    innermost = max(holding, key=lambda body: body[0])
    for container in nodes:
        if container.body == innermost and not container.leaf:
            return container
    node.problem = node.problem or "not written directly inside a Describe or Context"
    return None


def specs(source: GoSource, resolve: Resolvers) -> list[Spec]:
    """Every leaf of the file; one whose name cannot be read from the source says why in ``problem``."""
    return [_spec(node.chain()) for node in read_nodes(source, resolve) if node.leaf]


def _spec(chain: list[Node]) -> Spec:
    *containers, leaf = chain
    problems = [f"{n.kind} at line {n.line}: {n.problem}" for n in chain if n.problem]
    labels = set().union(*(n.labels for n in chain))
    gates = [gate for n in chain for gate in n.gates]
    at_end = set(labels & LEAF_LABELS)
    for gate, direct in _with_dependencies(gates):
        added = {gate.stage} if gate.stage else set()
        if not gate.default:
            added.add("Feature:OffByDefault")
        if not direct:
            added.add(f"FeatureGate:{gate.name}")
        labels |= added
        at_end |= added
    before = " ".join(n.text for n in containers if n.text)
    own = list(leaf.texts)
    for label in sorted(at_end):
        tag = f"[{label}]"
        if tag not in before and tag not in own:
            own.append(tag)
    name = " ".join(part for part in (before, " ".join(own)) if part)
    return Spec(
        line=leaf.line,
        text=" ".join(leaf.strings),
        containers=tuple(n.text for n in containers if n.text),
        name=name,
        labels=tuple(sorted(labels)),
        gates=tuple(gates),
        body=leaf.body or (leaf.start, leaf.start),
        problem="; ".join(problems) or None,
    )


def _with_dependencies(gates: list[Gate]) -> list[tuple[Gate, bool]]:
    """Each gate (direct) and, recursively, the gates it depends on (not direct)."""
    found: list[tuple[Gate, bool]] = []
    todo = [(gate, True) for gate in gates]
    while todo:
        gate, direct = todo.pop(0)
        found.append((gate, direct))
        todo += [(dependency, False) for dependency in gate.depends_on]
    return found
