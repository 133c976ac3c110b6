"""The front end in order: parse -> check structure -> lower -> options -> outputs -> IR.

    wf, warnings = compile_source(text, "pipeline.fuse", defines={"n": "10"})

Raises CompileError carrying every error (and the warnings) of the file.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from .. import ir
from . import nodes as n
from . import options as opts
from .checks import check_return, check_structure
from .constants import BadConstant, NotConstant
from .errors import CompileError, Diagnostic, Diagnostics
from .lower import Lowering
from .parser import gc_paused, parse
from .source import display_path, unicode_path
from .unused import report as report_unneeded

Compiled: TypeAlias = tuple[ir.Workflow, list[Diagnostic]]  # the IR, and the warnings


def compile_file(path: str | os.PathLike[str], defines: dict[str, str] | None = None) -> Compiled:
    text = Path(path).read_text(encoding="utf-8")
    return compile_source(text, display_path(path), defines)


def compile_source(text: str, path: str = "<string>", defines: dict[str, str] | None = None) -> Compiled:
    with gc_paused():  # the tree and the IR are many small objects without cycles
        return compile_module(parse(text, unicode_path(path)), text, defines)


def compile_module(module: n.Module, text: str, defines: dict[str, str] | None = None) -> Compiled:
    """Everything after the parse (checks, lowering, options, IR); `text` is for error messages."""
    with gc_paused():
        return _compile(module, text, defines)


def _compile(module: n.Module, text: str, defines: dict[str, str] | None) -> Compiled:
    path = module.path
    diags = Diagnostics()
    check_structure(module, diags)
    lowering = Lowering(diags, dict(defines or {}))
    lowering.run(module.statements)
    queries, workflow_options = opts.collect(module.statements, _option_constant(lowering), diags)
    effective = opts.resolve(list(lowering.nodes), queries, diags)
    returned = next((s for s in module.statements if isinstance(s, n.ReturnStmt)), None)
    check_return(returned, {s: 1 for s in lowering.symbols}, lowering.visible_names(), diags)
    if diags.errors:
        raise CompileError(path, text, diags.items)
    workflow = _build(module, lowering, effective, workflow_options, returned)
    report_unneeded(workflow, returned, diags)  # warnings: nodes no returned output needs
    return workflow, diags.sorted()


def _option_constant(lowering: Lowering) -> Callable[[n.Expr], Any]:
    def constant(expr: n.Expr) -> Any:
        try:
            return lowering.constant_or_raise(expr, callables=True)
        except NotConstant as exc:
            if not exc.reported:
                lowering.diags.error(exc.expr.span, f"an option value must be a compile-time constant: {exc.reason}")
        except BadConstant as exc:
            lowering.diags.error(exc.span, exc.message, exc.hint)
        return opts.INVALID

    return constant


NO_OPTIONS: opts.TargetOptions = {}  # shared by the nodes no query selects: IR values are read-only


def _build(module: n.Module, lowering: Lowering, effective: dict[str, opts.TargetOptions],
           workflow_options: opts.TargetOptions, returned: n.ReturnStmt | None) -> ir.Workflow:
    nodes = tuple(
        ir.Node(
            name=d.name, kind=d.kind, target=d.target, args=d.args, kwargs=d.kwargs, object=d.object,
            after=d.after, options=effective.get(d.name, NO_OPTIONS), statement=d.statement, keys=d.keys,
            span=(d.span.line, d.span.col, d.span.end_line, d.span.end_col),
        )
        for d in lowering.nodes.values()
    )
    return ir.Workflow(
        name=_workflow_name(module),
        source=module.path,
        params=tuple(lowering.params.values()),
        imports=tuple(lowering.import_list),
        nodes=nodes,
        storage=next((s.url for s in module.statements if isinstance(s, n.StorageStmt)), None),
        outputs=_outputs(nodes, lowering, returned),
        workflow_options=workflow_options,
        loops=lowering.loops.records(lowering.nodes),
    )


def _workflow_name(module: n.Module) -> str:
    stmt = next((s for s in module.statements if isinstance(s, n.WorkflowStmt)), None)
    if stmt is not None:
        return stmt.name
    stem = Path(module.path).stem or "workflow"
    return "".join(c if c.isalnum() or c == "_" else "_" for c in stem)


def _outputs(nodes: tuple[ir.Node, ...], lowering: Lowering, returned: n.ReturnStmt | None) -> tuple[ir.Output, ...]:
    """`return`ed names, or else every node no other node consumes (objects aside)."""
    if returned is not None:
        return tuple(ir.Output(item.name, _returned_value(lowering, item)) for item in returned.names)
    consumed = {dep for node in nodes for dep in node.dependencies()}
    return tuple(
        ir.Output(node.name, ir.Ref(node.name))
        for node in nodes
        if node.name not in consumed and node.kind != "object"
    )


def _returned_value(lowering: Lowering, item: n.ReturnName) -> ir.Value:
    """A returned node's value: check_return lets only nodes through, and the
    errors have been raised, so there is one (None goes with an error)."""
    value = lowering.node_value(item.name, item.span)
    assert value is not None, f"returned node '{item.name}' has no value"
    return value
