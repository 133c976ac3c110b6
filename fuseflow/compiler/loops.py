"""The loops as written, beside their expansion: Workflow.loops (fuseflow.ir.loops).

Lowering expands a loop into one node per statement and iteration; while it
does, LoopRecorder keeps each loop once (its variables, the constant it
iterates) and each statement in it once, with the values written the way
they read in every iteration: a loop variable is a LoopVar, the node of an
enclosing loop's statement at the current keys a LoopRef, a family of the
current iteration a LoopFamily; whatever is the same in every iteration is the
value lowering gave it. A statement's description is made the first time it
is lowered, from its syntax and the names in scope then (which are the same
in every iteration).

A form the description cannot say (an index that is a loop variable:
`specs[name]`, `fam[i]`; a loop over an outer loop's variable) leaves the
whole outermost loop out: its nodes are still all in Workflow.nodes, and the
generators write them one by one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import ir
from ..schemas import CallableRef
from . import nodes as n
from .constants import holds_import

if TYPE_CHECKING:
    from .lower import Lowering, NodeDraft


class Unsupported(Exception):
    """A value the loop descriptions cannot express."""


@dataclass(slots=True)
class StatementDraft:
    name: str
    target: str
    args: tuple[ir.Value, ...]
    kwargs: tuple[tuple[str, ir.Value], ...]
    object: ir.Value | None
    span: n.Span
    first_node: str  # its kind (call or object) is final only once every statement is lowered
    after: tuple[ir.Value, ...] = ()
    when: tuple[ir.Branch, ...] = ()  # in a run-time loop's body: the `if` branches it is in


@dataclass(slots=True)
class LoopDraft:
    vars: tuple[str, ...]
    items: Any
    let: str | None
    span: n.Span
    root: LoopDraft | None = None  # the outermost loop around it (None: this is one)
    body: list[LoopDraft | StatementDraft] = field(default_factory=list)
    broken: bool = False  # (of an outermost loop) something in it cannot be described

    def outermost(self) -> LoopDraft:
        return self.root or self


@dataclass(slots=True)
class LoopRecorder:
    drafts: dict[int, LoopDraft] = field(default_factory=dict)  # by id() of the `for` statement
    roots: list[LoopDraft] = field(default_factory=list)
    described: set[int] = field(default_factory=set)  # id() of the statements described so far

    def enter(self, low: Lowering, stmt: n.ForStmt, items: Any) -> None:
        """A `for` statement runs (once per iteration of the loops around it)."""
        if id(stmt) in self.drafts:
            return
        parent = self.drafts[low.frames[-1].loop] if low.frames else None
        iterable = stmt.iterable
        let = iterable.name if type(iterable) is n.Ref and not iterable.indexes and iterable.name in low.lets \
            and not low.is_loop_variable(iterable.name) else None
        draft = LoopDraft(stmt.names, ir_data(items), let, stmt.span, parent.outermost() if parent else None)
        self.drafts[id(stmt)] = draft
        if parent is None:
            self.roots.append(draft)
        else:
            parent.body.append(draft)
        if dynamic(low, iterable) or low.guards:  # (in an `if` branch: its nodes are written one by one)
            draft.outermost().broken = True

    def statement(self, low: Lowering, stmt: Any, name: str, call: n.Call, node: NodeDraft) -> None:
        """A node statement inside loops was lowered (without an error) to `node`."""
        if id(stmt) in self.described:
            return
        self.described.add(id(stmt))
        loop = self.drafts[low.frames[-1].loop]
        if loop.outermost().broken or low.diags.errors:  # with errors there is no IR to describe
            return
        if low.is_constant_name(call.callee[0]):  # `cls()`: the callable changes with the iteration
            loop.outermost().broken = True
            return
        try:
            draft = StatementDraft(name, node.target, tuple(template(low, arg) for arg in call.args),
                                   tuple((kw.name, template(low, kw.value)) for kw in call.kwargs),
                                   method_object(low, call, node), call.span, node.name,
                                   tuple(after_template(low, item) for item in stmt.after))
        except Unsupported:
            loop.outermost().broken = True
            return
        loop.body.append(draft)

    def records(self, nodes: dict[str, NodeDraft]) -> tuple[ir.Loop, ...]:
        """The descriptions of the loops that have one; loops that made no node are left out."""
        loops = (_record(root, nodes) for root in self.roots if not root.broken)
        return tuple(loop for loop in loops if loop is not None)


def _record(draft: LoopDraft, nodes: dict[str, NodeDraft]) -> ir.Loop | None:
    body: list[ir.Loop | ir.Statement] = []
    for item in draft.body:
        if isinstance(item, LoopDraft):
            inner = _record(item, nodes)
            if inner is not None:
                body.append(inner)
        else:
            body.append(ir.Statement(item.name, nodes[item.first_node].kind, item.target, item.args, item.kwargs,
                                     item.object, _span(item.span), item.after))
    if not body:
        return None
    return ir.Loop(draft.vars, draft.items, tuple(body), draft.let, _span(draft.span))


def ir_data(items: Any) -> Any:
    """A loop's items as the IR keeps them: an imported name (CallableRef) an ir.Imported."""
    if not holds_import(items):
        return items
    if isinstance(items, CallableRef):
        return ir.Imported(str(items))
    if isinstance(items, list):
        return [ir_data(item) for item in items]
    return {key: ir_data(item) for key, item in items.items()}


def _span(span: n.Span) -> tuple[int, int, int, int]:
    return (span.line, span.col, span.end_line, span.end_col)


# --- values -------------------------------------------------------------------------------


def dynamic(low: Lowering, expr: n.Expr) -> bool:
    """Whether `expr` can differ from one iteration of the running loops to the next: it
    reads a loop variable or a node made in a running loop."""
    kind = type(expr)
    if kind is n.Ref:
        ref: n.Ref = expr  # type: ignore[assignment]
        if low.is_loop_variable(ref.name):
            return True
        symbol = low.symbols.get(ref.name)
        if symbol is not None and symbol.loops and any(frame.loop in symbol.loops for frame in low.frames):
            return True
        return any(dynamic(low, index) for index in ref.indexes)
    if kind is n.ListExpr:
        return any(dynamic(low, item) for item in expr.items)  # type: ignore[union-attr]
    if kind is n.DictExpr:
        return any(dynamic(low, item) for _, item in expr.pairs)  # type: ignore[union-attr]
    return False


def template(low: Lowering, expr: n.Expr) -> ir.Value:
    """An argument as every iteration reads it (Unsupported if the description cannot say it)."""
    if not dynamic(low, expr):
        return _lowered(low, expr)
    if isinstance(expr, n.Ref):
        return _reference(low, expr)
    if isinstance(expr, n.ListExpr):
        return ir.ListOf(tuple(template(low, item) for item in expr.items))
    if isinstance(expr, n.DictExpr):
        return ir.DictOf(tuple((key, template(low, item)) for key, item in expr.pairs))
    raise Unsupported(expr)


def _lowered(low: Lowering, expr: n.Expr) -> ir.Value:
    """The value lowering gives `expr` (the same in every iteration); lowered again, it adds
    nothing to what lowering keeps of its uses."""
    mark = len(low.data_uses)
    value = low.value(expr)
    del low.data_uses[mark:]
    return value


def _reference(low: Lowering, ref: n.Ref) -> ir.Value:
    if any(dynamic(low, index) for index in ref.indexes):
        raise Unsupported(ref)
    path = tuple(low.index_constant(index) for index in ref.indexes)
    if low.is_loop_variable(ref.name):
        return ir.LoopVar(ref.name, path)
    symbol = low.symbols.get(ref.name)
    if symbol is None:
        raise Unsupported(ref)
    pattern = low.loop_pattern(symbol)
    if None not in pattern:
        return ir.LoopRef(ref.name, path)
    if path:  # members picked from a family of the current iteration
        raise Unsupported(ref)
    return ir.LoopFamily(ref.name, pattern.index(None))


def after_template(low: Lowering, item: n.AfterName) -> ir.Value:
    """A node `after` names, as every iteration reads it: the current iteration's (LoopRef), a
    family of it (LoopFamily), or a node or family outside the loops. A used workflow's call or
    an alias is left to the nodes (Unsupported)."""
    if item.name not in low.symbols:
        raise Unsupported(item)
    return template(low, n.Ref(item.name, (), item.span, item.span))


def method_object(low: Lowering, call: n.Call, node: NodeDraft) -> ir.Value | None:
    """The object a method statement calls: the current iteration's, or one node outside the loops."""
    if node.object is None:
        return None
    symbol = low.symbols[call.callee[0]]
    return ir.LoopRef(symbol.name) if symbol.loops else ir.Ref(node.object)
