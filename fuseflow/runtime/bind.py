"""An IR workflow bound to what it calls: the runtime's graph, with no code generated.

    graph = bind(ir_workflow, "flows/models.fuse")      # imports the workflow's modules
    outputs = execute.run(graph, {}, RunSettings())

`fusec run`, `fusec explain` and `fusec storage gc` run the IR this way: each
node's "module:qualname" is imported (once per name), an imported callable
passed as an argument becomes its object, and the nodes, params and outputs
are the ones a generated module declares with `rt.call(...)`. A target whose
nodes carry more (Ray's `.options()` keywords) passes its own constructors.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import ir
from . import graph
from .conditions import declared, made_of
from .invoke import IndexingError, index, resolve_callable
from .params import Param


class CannotImport(Exception):
    """A module the workflow names cannot be imported, or lacks a name (`__cause__`
    says why): most often the user's to fix, reported as `fusec check --imports` does."""


class Builders:
    """How a target makes the runtime's nodes and workflow (fuseflow's local graph by default)."""

    def node(self, node: ir.Node, fn: Callable[..., Any] | None, args: list[ir.Value],
             kwargs: dict[str, ir.Value]) -> graph.Node:
        """`fn`: what a call or object node calls, imported; None for a method call."""
        options, after = node.options.get("neutral", {}), node.declared_after
        if node.kind == "method":
            assert node.object is not None, "the IR names the object of a method call"
            return graph.method(node.name, node.object, node.target, args, kwargs, after=after, options=options)
        assert fn is not None, "bind imports what every call and object node calls"
        builder = graph.obj if node.kind == "object" else graph.call
        return builder(node.name, fn, args, kwargs, after=after, options=options)

    def workflow(self, wf: ir.Workflow, **fields: Any) -> graph.Workflow:
        return graph.Workflow(**fields)


def bind(wf: ir.Workflow, home: str, builders: Builders | None = None) -> graph.Workflow:
    """The runtime's graph of `wf`; `home` is the .fuse file (relative storage resolves
    beside it). CannotImport when a callable cannot be imported."""
    builders = builders or Builders()
    imported = Imports()
    nodes = [builders.node(node, imported.get(node.target) if node.kind != "method" else None,
                           [imported.values(v) for v in node.args],
                           {key: imported.values(v) for key, v in node.kwargs})
             for node in wf.nodes]
    finals: list[graph.Node] = []
    if any(node.final for node in wf.nodes):  # `finally`: run after the rest (runtime.final)
        final = {node.name for node in wf.nodes if node.final}
        nodes, finals = [n for n in nodes if n.name not in final], [n for n in nodes if n.name in final]
    return builders.workflow(
        wf, name=wf.name, nodes=nodes, source=wf.source, storage=wf.storage, home=home,
        params=[Param(p.name, p.type, p.default, p.required) for p in wf.params],
        outputs={output.name: output.value for output in wf.outputs},
        uses={use.prefix: (use.workflow, use.source) for use in wf.uses} or None,
        fanouts=[bound_fanout(fanout, builders, imported) for fanout in wf.fanouts] or None,
        finals=finals or None,
        decisions=declared(wf) if wf.decisions else None,
        run_unread=not wf.returned,
    )


def bound_fanout(fanout: ir.FanOut, builders: Builders, imported: Imports) -> graph.FanOut:
    """A run-time loop of the runtime graph: its nodes built as bind builds every node, when its
    items are known (runtime.fanout). With the default builders and a body of plain statements,
    the body is bound once (Stamp) and each item's nodes stamped out from it."""
    where = iterable_text(fanout.iterable)
    stamps: list[Stamp] = []  # bound at the first expansion: what the body imports, imported then

    def expand(items: Any) -> tuple[list[graph.Node], dict[str, ir.Value], list[graph.Decision]]:
        if type(builders) is Builders and Stamp.fits(fanout):
            if not stamps:
                stamps.append(Stamp(fanout, imported))
            return (*stamps[0].expand(items, where), [])
        made, gathered = ir.expand_fanout(fanout, items, where)
        nodes = [builders.node(node, imported.get(node.target) if node.kind != "method" else None,
                               [imported.values(v) for v in node.args],
                               {key: imported.values(v) for key, v in node.kwargs}) for node in made]
        return nodes, gathered, item_decisions(fanout, items, made, where)

    return graph.FanOut(fanout.iterable, expand, tuple(fanout.statements()), tuple(ir.fanout_inputs(fanout)),
                        fanout.keys, where, [(b.decision, b.index) for b in fanout.when],
                        [name for name, _ in fanout.merged])


def item_decisions(fanout: ir.FanOut, items: Any, made: list[ir.Node], where: str) -> list[graph.Decision]:
    """The decisions of the `if`s in a run-time loop's body, per item, as the runtime makes them
    (runtime.conditions.declared's), each with the nodes `made` inside it."""
    return made_of(ir.fanout_decisions(fanout, items, where), made) if fanout.decisions else []


# how a value of a loop statement is made per item (Stamp): the same bound value for every item, the
# item (a loop variable), the current iteration's node of a statement (a LoopRef), or worked out
CONSTANT, ITEM, CURRENT, WORKED_OUT = range(4)
SCALARS = frozenset((int, float, str, bool, type(None)))  # an item that holds no imported name: its Literal


class Stamp:
    """A run-time loop's body bound once: each statement's callable imported, its constant arguments
    bound, its loop variables and references to the current iteration as templates, the file's
    option queries compiled. `expand(items)` stamps out the nodes and gathered results that
    ir.expand_fanout and Builders would make (names, arguments, ordering, options), without
    the IR records in between. For a body of statements without inner loops or loop families."""

    def __init__(self, fanout: ir.FanOut, imported: Imports):
        import re  # deferred, as ir.fanout.options_for: only a run-time loop's nodes, when it expands

        from ..ir.expand import Expansion  # deferred: loaded by a run-time loop's first expansion only

        self.fanout = fanout
        root: ir.Loop = ir.Loop(fanout.vars, [], fanout.body, positions=True)
        for depth, key in reversed(list(enumerate(fanout.keys))):  # as ir.expand_fanout nests it
            root = ir.Loop((f"*{depth}",), {key: None}, (root,))
        self.expansion = Expansion([root])  # what a worked-out value's LoopRefs resolve against
        self.imported = imported
        self.queries = [(re.compile(pattern).fullmatch, options) for pattern, target, options in fanout.queries
                        if target == "neutral"]
        self.statements = [self.bound(s) for s in fanout.body if isinstance(s, ir.Statement)]

    @staticmethod
    def fits(fanout: ir.FanOut) -> bool:
        """Whether the body is plain statements reading no loop family, without `if`s (else
        ir.expand_fanout's way)."""
        return not fanout.decisions and all(type(s) is ir.Statement and not any(type(v) is ir.LoopFamily for value in
                                                       (*s.values(), *s.after, *([s.object] if s.object else []))
                                                       for v in ir.walk(value)) for s in fanout.body)

    def bound(self, s: ir.Statement) -> tuple[Any, ...]:
        """(statement, name prefix, kind, callable, method, object, after, args, kwargs) of its nodes."""
        fn = self.imported.get(s.target) if s.kind != "method" else None
        method = s.target if s.kind == "method" else None
        obj = self.template(s.object) if s.object is not None else None
        after = [self.template(v) for v in s.after]
        args = [self.template(v) for v in s.args]
        kwargs = [(key, self.template(v)) for key, v in s.kwargs]
        return s.name, self.prefix(s.name), s.kind, fn, method, obj, after, args, kwargs

    def prefix(self, statement: str) -> str:
        return ".".join((statement, *self.fanout.keys)) + "."

    def template(self, value: ir.Value) -> tuple[int, Any]:
        """How `value` is made per item: (CONSTANT, the bound value), (ITEM, the variable's name),
        (CURRENT, (name prefix, path)) or (WORKED_OUT, the value)."""
        if not any(type(v) in (ir.LoopVar, ir.LoopRef) for v in ir.walk(value)):
            return CONSTANT, self.imported.values(value)
        if type(value) is ir.LoopVar and not value.path:
            return ITEM, value.name
        if type(value) is ir.LoopRef:
            return CURRENT, (self.prefix(value.statement), value.path)
        return WORKED_OUT, value

    def expand(self, items: Any, where: str) -> tuple[list[graph.Node], dict[str, ir.Value]]:
        """The nodes `items` make (in order) and each statement's results outside the loop."""
        # deferred, as above: only a workflow with run-time loops, when one expands
        from ..ir.expand import NotIndexable
        from ..ir.fanout import checked_items  # (ir.fanout too: ir loads it lazily, PEP 562)

        items = checked_items(len(self.fanout.vars), items, where)
        iterations = ir.Loop(self.fanout.vars, items, (), positions=True).iterations()
        try:
            nodes = [self.node(statement, key, bindings) for key, bindings in iterations
                     for statement in self.statements]
        except NotIndexable as exc:
            raise ir.NotIterable(f"the run-time loop over {where}: {exc}" if where else str(exc)) from None
        return nodes, self.gathered(items, [key for key, _ in iterations])

    def node(self, statement: tuple[Any, ...], key: str, bindings: dict[str, Any]) -> graph.Node:
        _, prefix, kind, fn, method, obj, after, args, kwargs = statement
        name = prefix + key
        value = self.value
        owner = value(obj, key, bindings) if obj is not None else None
        ordering = tuple(dict.fromkeys(n for v in after for n in ir.referenced_nodes(value(v, key, bindings)))
                         ) if after else ()
        arguments = [what if how is CONSTANT else ir.Ref(what[0] + key, what[1]) if how is CURRENT
                     else ir.Literal(bindings[what]) if how is ITEM and type(bindings[what]) in SCALARS
                     else value((how, what), key, bindings) for how, what in args]
        return graph.Node(name, kind, fn, arguments, {k: value(v, key, bindings) for k, v in kwargs} if kwargs else {},
                          self.options(name) if self.queries else {}, object=owner.node if type(owner) is ir.Ref
                          else None, method=method, after=ordering)

    def value(self, template: tuple[int, Any], key: str, bindings: dict[str, Any]) -> ir.Value:
        how, what = template
        if how is CONSTANT:
            return what  # type: ignore[no-any-return]
        if how is ITEM:
            found = bindings[what]
            return ir.Literal(found) if not ir.holds_imported(found) else self.imported.values(ir.constant(found))
        if how is CURRENT:
            return ir.Ref(what[0] + key, what[1])
        from ..ir.expand import Iteration  # deferred: a run-time loop's, as above

        at = Iteration(self.expansion, (*self.fanout.keys, key), bindings)
        return self.imported.values(at.value(what))

    def options(self, name: str) -> dict[str, Any]:
        """The neutral options the file's queries select for `name` (ir.fanout.options_for's)."""
        if not self.queries:
            return {}
        found: dict[str, Any] = {}
        for matches, options in self.queries:
            if matches(name):
                found.update(options)
        return dict(sorted(found.items()))

    def gathered(self, items: Any, keys: list[str]) -> dict[str, ir.Value]:
        """Each statement's results outside the loop: a ListOf in item order, a DictOf for a dict."""
        found: dict[str, ir.Value] = {}
        for statement, prefix, *_ in self.statements:
            members = [ir.Ref(prefix + key) for key in keys]
            if isinstance(items, dict):
                found[statement] = ir.DictOf(tuple((str(k), m) for k, m in zip(items, members, strict=True)))
            else:
                found[statement] = ir.ListOf(tuple(members))
        return found


def iterable_text(value: ir.Value) -> str:
    """What a run-time loop iterates, as messages name it: `files`, `parts["names"]`, param `root`."""
    path = "".join(f"[{key!r}]" for key in value.path)  # type: ignore[attr-defined]
    if type(value) is ir.ParamRef:
        return f"param {value.name}{path}"
    return f"{value.node}{path}"  # type: ignore[attr-defined]


class Imports(ir.Transformer):
    """Imported callables, each imported once; `values` gives an argument whose
    imported callables are their objects (Literal), as generated code passes them."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}

    def get(self, target: str) -> Any:
        found = self.found.get(target)
        if found is None:
            try:
                found = self.found[target] = resolve_callable(target)
            except Exception as exc:  # ImportError, AttributeError, or the module's own error as it runs
                raise CannotImport(f"cannot import {target}: {type(exc).__name__}: {exc}") from exc
        return found

    def values(self, value: ir.Value) -> ir.Value:
        return self.visit(value) if type(value) is not ir.Literal else value

    def visit_Imported(self, value: ir.Imported) -> ir.Value:
        found = self.get(value.target)
        if not value.path:
            return ir.Literal(found)
        try:  # a module-level value, indexed once, as the workflow is bound: before any node runs
            return ir.Literal(index(found, value.path, value.target.partition(":")[2]))
        except IndexingError as exc:
            raise CannotImport(str(exc)) from None


@contextlib.contextmanager
def import_path(directory: str | Path) -> Iterator[None]:
    """`directory` (the .fuse file's folder), then the working directory, first on
    sys.path while a workflow is bound and runs: `from ops import add` finds ops.py
    beside the file, or where `fusec` runs, as `fusec check --imports` looks."""
    entries = list(dict.fromkeys([str(Path(directory).resolve()), os.getcwd()]))
    sys.path[:0] = entries
    try:
        yield
    finally:
        for entry in entries:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)
