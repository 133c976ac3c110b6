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
from ..ir.record import replace
from ..schemas import TARGETS
from . import conditions
from . import nodes as n
from . import options as opts
from .checks import check_return, check_structure
from .constants import BadConstant, NotConstant
from .errors import CompileError, Diagnostic, Diagnostics
from .fanout import RUNTIME_KEY, Gather, placeholder
from .lower import Lowering, NodeDraft
from .parser import gc_paused, parse
from .source import display_path, unicode_path
from .unused import report as report_unneeded
from .use import Loader

Compiled: TypeAlias = tuple[ir.Workflow, list[Diagnostic]]  # the IR, and the warnings


def compile_file(path: str | os.PathLike[str], defines: dict[str, str] | None = None) -> Compiled:
    text = Path(path).read_text(encoding="utf-8")
    return compile_source(text, display_path(path), defines, file=path)


def compile_source(text: str, path: str = "<string>", defines: dict[str, str] | None = None, *,
                   file: str | os.PathLike[str] | None = None, chain: tuple[str, ...] = ()) -> Compiled:
    """`path` is the file as artifacts record it; `file` where it is (default: `path` itself),
    which `use` paths are relative to; `chain`: the files whose `use` led here, for a used file."""
    with gc_paused():  # the tree and the IR are many small objects without cycles
        return compile_module(parse(text, unicode_path(path)), text, defines, file=file, chain=chain)


def compile_module(module: n.Module, text: str, defines: dict[str, str] | None = None, *,
                   file: str | os.PathLike[str] | None = None, chain: tuple[str, ...] = ()) -> Compiled:
    """Everything after the parse (checks, lowering, options, IR); `text` is for error messages."""
    with gc_paused():
        return _compile(module, text, defines, _loader(module.path, file, chain))


def _compile_used(text: str, file: Path, chain: tuple[str, ...]) -> ir.Workflow:
    """A file a `use` names, compiled on its own (its warnings are its own file's business)."""
    return compile_source(text, display_path(file), file=file, chain=chain)[0]


def _loader(path: str, file: str | os.PathLike[str] | None, chain: tuple[str, ...]) -> Loader | None:
    """What compiles the files this one uses; None for source that is no file."""
    if file is None and path == "<string>":
        return None
    where = Path(file if file is not None else path).resolve()
    return Loader(where, _compile_used, chain or (str(where),))


def _compile(module: n.Module, text: str, defines: dict[str, str] | None, loader: Loader | None) -> Compiled:
    path = module.path
    diags = Diagnostics()
    check_structure(module, diags)
    lowering = Lowering(diags, dict(defines or {}), loader=loader)
    lowering.run(module.statements)
    queries, workflow_options = opts.collect(module.statements, _option_constant(lowering), diags)
    # a run-time loop's placeholder nodes stand for their first item here (`sq.0`): the queries that
    # select them are told apart from those that select nothing
    effective = opts.resolve([name.replace(f".{RUNTIME_KEY}", ".0") for name in lowering.nodes], queries, diags)
    returned = next((s for s in module.statements if isinstance(s, n.ReturnStmt)), None)
    returnable = {**dict.fromkeys(lowering.symbols, 1), **dict.fromkeys(lowering.aliases, 1),
                  **dict.fromkeys(lowering.instances, 1), **dict.fromkeys(lowering.merged, 1),
                  **dict.fromkeys(lowering.partial, 1)}  # (check_returned_branches says what is wrong with these)
    check_returned_branches(returned, lowering)
    check_return(returned, returnable, lowering.visible_names(), diags)
    if diags.errors:
        raise CompileError(path, text, diags.items)
    workflow = _build(module, lowering, effective, workflow_options, returned, queries)
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


def _gathered_loop(loop: ir.Loop, gather: Gather) -> ir.Loop:
    """A static loop's description with the results of run-time loops its statements read Gathered,
    as its nodes have them."""
    body = tuple(_gathered_loop(item, gather) if isinstance(item, ir.Loop) else
                 replace(item, args=tuple(gather.visit(v) for v in item.args),
                         kwargs=tuple((k, gather.visit(v)) for k, v in item.kwargs))
                 for item in loop.body)
    return replace(loop, body=body)


NO_OPTIONS: opts.TargetOptions = {}  # shared by the nodes no query selects: IR values are read-only


def _build(module: n.Module, lowering: Lowering, effective: dict[str, opts.TargetOptions],
           workflow_options: opts.TargetOptions, returned: n.ReturnStmt | None,
           queries: list[opts.Query]) -> ir.Workflow:
    every = tuple(
        ir.Node(
            name=d.name, kind=d.kind, target=d.target, args=d.args, kwargs=d.kwargs, object=d.object,
            after=d.after, options=_options(d, effective), statement=d.statement, keys=d.keys,
            span=(d.span.line, d.span.col, d.span.end_line, d.span.end_col), use=d.use, final=d.final,
            when=d.when,
        )
        for d in lowering.nodes.values()
    )
    fanouts = lowering.fanouts.records(lowering.nodes, queries)
    outputs = _outputs(every, lowering, returned, fanouts)
    nodes = every
    loops = lowering.loops.records(lowering.nodes)
    if fanouts:  # a run-time loop's placeholder nodes go; its results outside it are Gathered (compiler.fanout)
        gather = Gather()
        nodes = tuple(replace(node, args=tuple(gather.visit(v) for v in node.args),
                                 kwargs=tuple((k, gather.visit(v)) for k, v in node.kwargs))
                      for node in every if not placeholder(node.name))
        outputs = tuple(ir.Output(o.name, gather.visit(o.value)) for o in outputs)
        loops = tuple(_gathered_loop(loop, gather) for loop in loops)  # a static loop after one reads them too
    return ir.Workflow(
        name=_workflow_name(module),
        source=module.path,
        params=tuple(lowering.params.values()),
        imports=tuple(lowering.import_list),
        nodes=nodes,
        storage=next((s.url for s in module.statements if isinstance(s, n.StorageStmt)), None),
        outputs=outputs,
        workflow_options=workflow_options,
        loops=loops,
        uses=tuple(lowering.uses),
        fanouts=fanouts,
        decisions=tuple(lowering.decisions.values()),
        returned=returned is not None,
    )


def _options(draft: NodeDraft, effective: dict[str, opts.TargetOptions]) -> opts.TargetOptions:
    """A node's options: those the file's queries give it; a used workflow's node starts from its
    own file's, which the queries here select over (`"r\\..*"`)."""
    own = effective.get(draft.name, NO_OPTIONS)
    if draft.options is None or not draft.options:
        return own
    if not own:
        return draft.options
    merged = {target: dict(values) for target, values in draft.options.items()}
    for target, values in own.items():
        merged.setdefault(target, {}).update(values)
    return {target: dict(sorted(merged[target].items())) for target in TARGETS if target in merged}


def gathered_output(node: ir.Node) -> ir.Gathered:
    """The results of a run-time loop's statement, for a placeholder node of it (`stats.moons.*`)."""
    return ir.Gathered(node.statement, node.keys[:node.keys.index(RUNTIME_KEY)])


def _workflow_name(module: n.Module) -> str:
    stmt = next((s for s in module.statements if isinstance(s, n.WorkflowStmt)), None)
    if stmt is not None:
        return stmt.name
    stem = Path(module.path).stem or "workflow"
    return "".join(c if c.isalnum() or c == "_" else "_" for c in stem)


def _outputs(nodes: tuple[ir.Node, ...], lowering: Lowering, returned: n.ReturnStmt | None,
             fanouts: tuple[ir.FanOut, ...] = ()) -> tuple[ir.Output, ...]:
    """`return`ed names, or else every node no other node consumes (objects aside); a run-time
    loop consumes the node it iterates and those its body reads."""
    if returned is not None:
        return tuple(ir.Output(item.name, _returned_value(lowering, item)) for item in returned.names)
    consumed = {dep for node in nodes for dep in node.dependencies()}
    consumed.update(name for fanout in fanouts for name in ir.fanout_inputs(fanout))
    consumed.update(name for decision in lowering.decisions.values() for test in decision.tests
                    for name in ir.referenced_nodes(test))
    outputs: dict[str, ir.Value] = {}
    for node in nodes:
        # `finally` runs after the outputs; a node in an `if` branch may not run: the name every branch
        # assigns is the output (below), and a node of one branch only is no output
        if node.name in consumed or node.kind == "object" or node.final or node.when:
            continue
        if placeholder(node.name):  # a run-time loop's results no node reads: all of them, gathered
            value = gathered_output(node)
            outputs.setdefault(".".join((value.statement, *value.keys)), value)
        else:
            outputs[node.name] = ir.Ref(node.name)
    for name, merged in lowering.merged.items():  # after its `if`, outside every branch, and read by no node
        if not merged.branches and not merged.in_inner_loop and not any(node in consumed for symbol in merged.leaves()
                                           for node in symbol.members.values()):
            outputs[name] = lowering.value(n.Ref(name, (), n.Span(merged.line, 1, merged.line, 1),
                                                 n.Span(merged.line, 1, merged.line, 1)))
    return tuple(ir.Output(name, value) for name, value in outputs.items())


def check_returned_branches(returned: n.ReturnStmt | None, lowering: Lowering) -> None:
    """A returned name made inside an `if` branch, or by only some branches, may not exist."""
    for item in returned.names if returned is not None else ():
        symbol = lowering.symbols.get(item.name)
        instance = lowering.instances.get(item.name)
        if symbol is not None and symbol.branches:
            conditions.reachable(lowering, symbol.branches, item.name, item.span)
        elif instance is not None and instance.branches:
            conditions.reachable(lowering, instance.branches, item.name, item.span)
        elif item.name in lowering.partial:
            conditions.partial_use(lowering, item.name, item.span)


def _returned_value(lowering: Lowering, item: n.ReturnName) -> ir.Value:
    """A returned name's value: a node's (or family's), what an alias names, or every output
    of a used workflow's call as a dict. check_return lets only those through, and the
    errors have been raised, so there is one (None goes with an error)."""
    if item.name in lowering.instances:
        return ir.DictOf(tuple(lowering.instances[item.name].outputs.items()))
    if item.name in lowering.aliases or item.name in lowering.merged:
        return lowering.value(n.Ref(item.name, (), item.span, item.span))
    value = lowering.node_value(item.name, item.span)
    assert value is not None, f"returned node '{item.name}' has no value"
    return value
