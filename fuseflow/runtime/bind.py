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
from .conditions import declared
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
    )


def bound_fanout(fanout: ir.FanOut, builders: Builders, imported: Imports) -> graph.FanOut:
    """A run-time loop of the runtime graph: its nodes built as bind builds every node, when its
    items are known (runtime.fanout)."""
    where = iterable_text(fanout.iterable)

    def expand(items: Any) -> tuple[list[graph.Node], dict[str, ir.Value]]:
        made, gathered = ir.expand_fanout(fanout, items, where)
        nodes = [builders.node(node, imported.get(node.target) if node.kind != "method" else None,
                               [imported.values(v) for v in node.args],
                               {key: imported.values(v) for key, v in node.kwargs}) for node in made]
        return nodes, gathered

    return graph.FanOut(fanout.iterable, expand, tuple(fanout.statements()), tuple(ir.fanout_inputs(fanout)),
                        fanout.keys, where)


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
