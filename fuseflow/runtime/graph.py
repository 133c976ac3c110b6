"""The workflow as generated code declares it: nodes, their arguments, params, outputs.

Generated modules build one `Workflow` from these pieces, one line per node:

    rt.call("s2", add, [rt.ref("s1"), rt.param("b")])
    rt.obj("counter", IncrementalSum, [], {"start": rt.ref("one")})
    rt.method("six", "counter", "add", [rt.ref("one")])
    rt.call("rows", load_rows, [rt.param("db")], after=["done"])     # `after done`: no data flows

An argument is an IR value (fuseflow.ir: the IR the compiler writes is the one
the runtime runs): `ref`, `param`, `struct` and `family` make them, and a plain
Python value passed as an argument is a Literal. The executor replaces each by
a node's result, a param's value or the literal's value.
"""
from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .. import ir
from .overrides import Override, Query
from .params import Param


def ref(node: str, *path: Any) -> ir.Ref:
    """A node's result, optionally indexed: ref("split", "x_train")."""
    return ir.Ref(node, path)


def param(name: str, *path: Any) -> ir.ParamRef:
    """A run-time param's value, optionally indexed."""
    return ir.ParamRef(name, path)


def struct(value: list[Any] | dict[str, Any]) -> ir.Value:
    """A list or dict literal that holds references, resolved element by element."""
    if isinstance(value, dict):
        return ir.DictOf(tuple((k, argument(v)) for k, v in value.items()))
    return ir.ListOf(tuple(argument(v) for v in value))


def family(name: str, members: dict[str, Any]) -> ir.Family:
    """A loop family: {loop key: ref(...)}; nested loops nest plain dicts."""
    return ir.Family(name, tuple((k, family(name, v) if type(v) is dict else argument(v)) for k, v in members.items()))


def argument(value: Any) -> ir.Value:
    """An argument as the runtime holds it: an IR value, a plain value as its Literal
    (an imported callable passed as an argument is the callable itself)."""
    return value if isinstance(value, ir.Value) else ir.Literal(value)


class Node:
    """One call. kind "call" and "object" call `fn`; "method" calls `method` on the
    object made by node `object`, after the earlier method calls on it. `after`: the
    nodes it runs after although it reads nothing of theirs (the file's `after`). (A
    plain class: equal only to itself, as the executor's bookkeeping wants.)"""

    __slots__ = ("name", "kind", "fn", "args", "kwargs", "options", "object", "method", "after")

    def __init__(self, name: str, kind: str, fn: Callable[..., Any] | None, args: list[ir.Value],
                 kwargs: dict[str, ir.Value], options: dict[str, Any] | None = None, object: str | None = None,
                 method: str | None = None, after: tuple[str, ...] = ()) -> None:
        self.name = name
        self.kind = kind
        self.fn = fn  # None for a method call
        self.args = args
        self.kwargs = kwargs
        self.options: dict[str, Any] = {} if options is None else options
        self.object = object
        self.method = method
        self.after = after

    def __repr__(self) -> str:
        return f"Node({self.name!r}, {self.kind!r}, {getattr(self.fn, '__qualname__', self.fn)!r})"

    def inputs(self) -> Iterator[str]:
        """Names of the nodes whose results this node reads (with repeats)."""
        for value in (*self.args, *self.kwargs.values()):
            yield from ir.referenced_nodes(value)

    def with_arguments(self, args: list[ir.Value], kwargs: dict[str, ir.Value]) -> Node:
        """The same call with other argument values (a run-time loop's results, once it has run)."""
        made = copy.copy(self)
        made.args, made.kwargs = args, kwargs
        return made


class FanOut:
    """A run-time loop (fuseflow.ir.fanout): `expand(items)` gives the nodes its items make,
    each statement's results gathered (a ListOf, a DictOf for a dict) and the decisions of the
    `if`s in its body, per item, once `iterable` (a Ref or a ParamRef, indexed) is known.
    `keys`: the static loop iteration it is in; `where`: the iterable as the file writes it,
    for messages; `statements`: the names of the statements
    of its body; `reads`: the nodes outside it that it reads (the iterable's among them);
    `merged`: the names every branch of an `if` of its body assigns. runtime.fanout runs and
    expands them."""

    __slots__ = ("iterable", "expand", "statements", "reads", "keys", "where", "when", "merged")

    def __init__(self, iterable: ir.Value,
                 expand: Callable[[Any], tuple[list[Node], dict[str, ir.Value], list[Decision]]],
                 statements: tuple[str, ...], reads: tuple[str, ...], keys: tuple[str, ...] = (),
                 where: str = "", when: Iterable[tuple[str, int]] = (), merged: Iterable[str] = ()) -> None:
        self.iterable = iterable
        self.expand = expand
        self.statements = statements
        self.reads = reads
        self.keys = keys
        self.where = where
        # the `if` branches it is in (not decided yet): it expands once they are taken (runtime.conditions)
        self.when = tuple(ir.Branch(decision, index) for decision, index in when)
        self.merged = tuple(merged)  # the names every branch of an `if` of its body assigns, gathered too

    def skipped(self) -> list[str]:
        """What a branch not taken skips of it: its statements, for every item (`table.*`)."""
        return [".".join((statement, *self.keys, "*")) for statement in self.statements]

    def within(self, when: Iterable[ir.Branch]) -> FanOut:
        """The same loop in other branches (once a decision around it is made)."""
        made = copy.copy(self)
        made.when = tuple(when)
        return made


class Decision:
    """An `if` chain (fuseflow.ir.conditions): `tests` in order, `branches` every node inside it
    with the index of its branch (nested `if`s' nodes too), `when` the branches of the decisions
    around it, outermost first, `where` the `if` as messages name it. runtime.conditions makes it
    once what its tests read is known: the nodes of the branches not taken are skipped."""

    __slots__ = ("name", "tests", "branches", "when", "where")

    def __init__(self, name: str, tests: Iterable[ir.Value], branches: dict[str, int],
                 when: Iterable[tuple[str, int]] = (), where: str = "") -> None:
        self.name = name
        self.tests = tuple(tests)
        self.branches = branches
        self.when = tuple(ir.Branch(decision, index) for decision, index in when)
        self.where = where or f"the `if` {name}"

    def __repr__(self) -> str:
        return f"Decision({self.name!r}, {len(self.tests)} tests, {len(self.branches)} nodes)"

    def reads(self) -> list[str]:
        """The nodes its tests read, in order, each once."""
        return list(dict.fromkeys(name for test in self.tests for name in ir.referenced_nodes(test)))


def test(op: str, *operands: Any) -> ir.Value:
    """A test of a generated module's decision: rt.test(">=", rt.ref("a"), 3), rt.test("and", t1, t2),
    rt.test("or", ...), rt.test("not", t); a plain value is a Literal, tested for its truth."""
    values = tuple(argument(operand) for operand in operands)
    if op == "and":
        return ir.And(values)
    if op == "or":
        return ir.Or(values)
    if op == "not":
        (item,) = values
        return ir.Not(item)
    left, right = values
    return ir.Compare(op, left, right)


def run_status(*path: Any) -> ir.RunStatus:
    """Inside `finally`: how the run went (runtime.final), indexed: rt.run_status("state")."""
    return ir.RunStatus(path)


def one_of(decision: str, members: list[Any]) -> ir.OneOf:
    """After an `if`, a name every branch assigns: the member of the branch `decision` takes."""
    return ir.OneOf(decision, tuple(argument(member) for member in members))


def decision(name: str, tests: Iterable[ir.Value], branches: dict[str, int], *,
             when: Iterable[tuple[str, int]] = (), where: str = "") -> Decision:
    """An `if` chain of a generated module: rt.decision("if-1", [test, ...], {"pushed.if": 0, ...})."""
    return Decision(name, [argument(test) for test in tests], dict(branches), when, where)


def arguments(args: list[Any] | None, kwargs: dict[str, Any] | None) -> tuple[list[ir.Value], dict[str, ir.Value]]:
    value, literal = ir.Value, ir.Literal  # argument(), inlined: a generated module's every node comes here
    return ([a if isinstance(a, value) else literal(a) for a in args] if args else [],
            {k: v if isinstance(v, value) else literal(v) for k, v in kwargs.items()} if kwargs else {})


def ordered_after(after: Iterable[str | ir.Value] | None) -> tuple[str, ...]:
    """The node names of `after=[...]`: each a node's name, or a value naming nodes (a loop
    family: every member), in order, each once."""
    if not after:
        return ()
    names: dict[str, None] = {}
    for item in after:
        names.update(dict.fromkeys([item] if isinstance(item, str) else ir.referenced_nodes(item)))
    return tuple(names)


def call(name: str, fn: Callable[..., Any], args: list[Any] | None = None, kwargs: dict[str, Any] | None = None, *,
         after: Iterable[str | ir.Value] | None = None, options: dict[str, Any] | None = None) -> Node:
    return Node(name, "call", fn, *arguments(args, kwargs), dict(options or {}), after=ordered_after(after))


def obj(name: str, cls: Callable[..., Any], args: list[Any] | None = None, kwargs: dict[str, Any] | None = None, *,
        after: Iterable[str | ir.Value] | None = None, options: dict[str, Any] | None = None) -> Node:
    return Node(name, "object", cls, *arguments(args, kwargs), dict(options or {}), after=ordered_after(after))


def method(name: str, object_node: str, method_name: str, args: list[Any] | None = None,
           kwargs: dict[str, Any] | None = None, *, after: Iterable[str | ir.Value] | None = None,
           options: dict[str, Any] | None = None) -> Node:
    return Node(name, "method", None, *arguments(args, kwargs), dict(options or {}),
                object=object_node, method=method_name, after=ordered_after(after))


class Workflow:
    """A compiled workflow: what `fusec compile --target local` writes out.

    outputs None: every node no other node reads (objects aside). home: the folder
    relative storage paths resolve against (given __file__: its folder).
    overrides: from query(...).set(...). uses: the calls of used workflows inlined, by
    prefix: (that workflow's name, its file relative to home); their nodes keep their
    results as that workflow keeps them (`stored_at`). fanouts: run-time loops, expanded
    as the workflow runs (runtime.fanout). finals: the nodes of `finally`, run after the
    rest on success and on failure, never stored (runtime.final). decisions: the `if` chains
    not made yet (runtime.conditions); skipped: the nodes of branches not taken so far;
    decided: the decisions made so far, each with the word of the branch it took (runtime.summary).
    run_unread: a run also runs every node nothing reads, not only what the outputs need (a file
    without `return`: its nodes inside the `if` branches it takes, which are no outputs;
    runtime.plan.wanted_nodes)."""

    def __init__(self, name: str, nodes: list[Node], params: list[Param] | None = None,
                 outputs: dict[str, Any] | None = None, storage: str | None = None, source: str = "",
                 home: str | None = None, overrides: list[Override] | None = None,
                 uses: dict[str, tuple[str, str]] | None = None, fanouts: list[FanOut] | None = None,
                 finals: list[Node] | None = None, decisions: list[Decision] | None = None,
                 run_unread: bool = False) -> None:
        self.name = name
        self.nodes = nodes
        self.params: list[Param] = [] if params is None else params
        self.outputs = outputs
        self.storage = storage
        self.source = source
        self.home = home
        self.overrides: list[Override] = [] if overrides is None else overrides
        self.uses: dict[str, tuple[str, str]] = {} if uses is None else uses
        self.fanouts: list[FanOut] = [] if fanouts is None else fanouts
        self.finals: list[Node] = [] if finals is None else finals
        self.decisions: list[Decision] = [] if decisions is None else decisions
        self.run_unread = run_unread
        self.skipped: list[str] = []
        self.decided: dict[str, str | None] = {}
        # left out with the loops and decisions no output needs (runtime.unneeded): nodes, in order (a loop's
        # statements as `table.*`), and those decisions
        self.unneeded: dict[str, None] = {}
        self.unneeded_decisions: set[str] = set()
        self._settle()

    def replaced(self, *, nodes: list[Node], outputs: dict[str, Any], fanouts: list[FanOut],
                 finals: list[Node] | None = None, decisions: list[Decision] | None = None,
                 skipped: list[str] | None = None, decided: dict[str, str | None] | None = None) -> Workflow:
        """The same workflow (its class, settings and params) with other nodes, outputs and loops
        (and `finally` nodes, decisions, skipped nodes and the decisions made, when given)."""
        made = copy.copy(self)
        for worked_out in ("topology", "used_by"):  # functools.cached_property values, of the old nodes
            made.__dict__.pop(worked_out, None)
        made.nodes, made.outputs, made.fanouts = nodes, outputs, fanouts
        if finals is not None:
            made.finals = finals
        if decisions is not None:
            made.decisions = decisions
        if skipped is not None:
            made.skipped = skipped
        if decided is not None:
            made.decided = decided
        made._settle()
        return made

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, {len(self.nodes)} nodes)"

    def _settle(self) -> None:
        if self.home and Path(self.home).suffix:  # given __file__: use its folder
            self.home = str(Path(self.home).resolve().parent)
        self.index = {node.name: i for i, node in enumerate(self.nodes)}
        if self.outputs is None:
            read = {name for reads in self.topology.reads for name in reads}
            self.outputs = {n.name: ir.Ref(n.name) for n in self.nodes if n.kind != "object" and n.name not in read}
        else:
            self.outputs = {name: argument(value) for name, value in self.outputs.items()}

    @functools.cached_property
    def used_by(self) -> dict[str, str]:
        """node name -> the prefix of the innermost used workflow it comes from (those that do)."""
        if not self.uses:
            return {}
        found: dict[str, str] = {}
        for node in self.nodes:
            prefix = node.name
            while "." in prefix:
                prefix = prefix.rpartition(".")[0]
                if prefix in self.uses:
                    found[node.name] = prefix
                    break
        return found

    def stored_at(self, name: str) -> tuple[str, str]:
        """(workflow, node) the results of node `name` are kept under: a used workflow's node
        as a run of its own file keeps it."""
        prefix = self.used_by.get(name) if self.uses else None
        if prefix is None:
            return self.name, name
        return self.uses[prefix][0], name[len(prefix) + 1:]

    @functools.cached_property
    def topology(self) -> Topology:
        """What every run needs to know about the graph, worked out once."""
        return Topology(self.nodes)

    def query(self, pattern: str) -> Query:
        """Select nodes by regex (full match) to override their options: wf.query("m.*").set(retries=2)."""
        return Query(self.overrides, pattern)


class Topology:
    """Per-node facts every run uses, computed once per workflow (lists are by node index).

    reads: the distinct nodes whose results the node's arguments read.
    needs: reads, plus the object for a method: the results that must be live to run it.
    after: the nodes it runs after without reading them (Node.after).
    previous: method node -> the node before it on the same object (a method or the object).
    literals: when every argument is a Literal, their values ((args, kwargs), worked out
    once, so the call takes them as they are), else None.
    refs: when every argument is a whole result (and there are no keyword
    arguments), the names of those nodes in order, else None: the fast path.
    """

    __slots__ = ("reads", "needs", "after", "previous", "literals", "refs")

    def __init__(self, nodes: list[Node]):
        self.reads: list[tuple[str, ...]] = []
        self.needs: list[tuple[str, ...]] = []
        self.after: list[tuple[str, ...]] = [node.after for node in nodes]
        self.previous: dict[str, str] = {}
        self.literals: list[tuple[list[Any], dict[str, Any]] | None] = []
        self.refs: list[tuple[str, ...] | None] = []
        last: dict[str, str] = {}
        for node in nodes:
            plain = _plain_arguments(node)
            if plain is not None:  # the common case (literals and whole results only), in one pass
                reads, literals, refs = plain
            else:
                reads = tuple(dict.fromkeys(node.inputs()))
                literals, refs = _literal_arguments(node), _whole_results(node)
            self.reads.append(reads)
            if node.kind == "method":
                owner = node.object
                assert owner is not None, "method() always names the object"
                self.previous[node.name] = last.get(owner, owner)
                last[owner] = node.name
                reads = reads if owner in reads else (*reads, owner)
            self.needs.append(reads)
            self.literals.append(literals)
            self.refs.append(refs)


def _plain_arguments(node: Node) -> tuple[tuple[str, ...], tuple[list[Any], dict[str, Any]] | None,
                                          tuple[str, ...] | None] | None:
    """(reads, literals, refs) as Topology works them out, when the node has no keyword arguments
    and each argument is a Literal or a whole result; else None."""
    if node.kwargs:
        return None
    values: list[Any] = []
    names: list[str] = []
    for a in node.args:
        kind = type(a)
        if kind is ir.Literal:
            values.append(a.value)  # type: ignore[attr-defined]
        elif kind is ir.Ref and not a.path:  # type: ignore[attr-defined]
            names.append(a.node)  # type: ignore[attr-defined]
        else:
            return None
    if not names:
        return (), (values, {}), None if values else ()
    reads = tuple(dict.fromkeys(names)) if len(names) > 1 else (names[0],)
    return reads, None, None if values else tuple(names)


def _literal_arguments(node: Node) -> tuple[list[Any], dict[str, Any]] | None:
    """The values of the arguments when every one is a Literal, else None."""
    args = [a.value for a in node.args if type(a) is ir.Literal]
    kwargs = {k: v.value for k, v in node.kwargs.items() if type(v) is ir.Literal}
    if len(args) != len(node.args) or len(kwargs) != len(node.kwargs):
        return None
    return args, kwargs


def _whole_results(node: Node) -> tuple[str, ...] | None:
    """The nodes whose whole results are the arguments, in order, when that is all the
    arguments are (no keyword arguments, no indexing), else None."""
    if node.kwargs:
        return None
    names = tuple(a.node for a in node.args if type(a) is ir.Ref and not a.path)
    return names if len(names) == len(node.args) else None
