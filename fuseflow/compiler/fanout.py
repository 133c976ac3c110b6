"""Run-time loops in the front end: `for f in files { ... }` where `files` is a node or a param.

The items exist only when the workflow runs, so the body is lowered once,
symbolically: the loop variables are RuntimeItem markers and the nodes made
are placeholders named with the key RUNTIME_KEY (`table.*`, `x.moons.*.knn`
inside a static loop), never part of the IR's nodes. Each statement is
described as loop descriptions are (fuseflow.compiler.loops), relative to the
run-time loop: a loop variable is a LoopVar, a node of the same iteration a
LoopRef, a family of a static loop inside it a LoopFamily; what is the same
for every item (params, constants, nodes outside the loop) is the value
lowering gives it. The result is one ir.FanOut per run-time loop and
iteration of the static loops around it.

Outside the loop, a statement's family is what every item made: lowering
gives a Family whose one member is keyed RUNTIME_KEY, which `gathered`
rewrites into an ir.Gathered the engine replaces once the loop has run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import ir
from . import nodes as n
from .loops import StatementDraft, Unsupported, ir_data

if TYPE_CHECKING:
    from .lower import Lowering, NodeDraft, NodeSymbol
    from .options import Query

RUNTIME_KEY = "*"  # a run-time iteration's key while lowering: no real key has it (loop_key makes [A-Za-z0-9_-])


class RuntimeItem:
    """A run-time loop's variable while its body is lowered: no compile-time value."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"RuntimeItem({self.name!r})"


@dataclass(slots=True)
class StaticDraft:
    """A static loop inside a run-time loop's body."""

    vars: tuple[str, ...]
    items: Any
    span: n.Span
    body: list[StaticDraft | StatementDraft] = field(default_factory=list)
    decides: bool = False  # an `if` is in its body: the IR keeps it, its nodes or not (ir.fanout.decision_loops)


@dataclass(slots=True)
class FanOutDraft:
    vars: tuple[str, ...]
    iterable: ir.Value
    keys: tuple[str, ...]
    span: n.Span
    loop: int  # id() of the `for` statement
    body: list[StaticDraft | StatementDraft] = field(default_factory=list)
    inner: dict[int, StaticDraft] = field(default_factory=dict)  # static loops inside, by id() of their `for`
    described: set[int] = field(default_factory=set)  # id() of the statements (and `if`s) described
    decisions: list[ir.Decision] = field(default_factory=list)  # its `if`s (`if-1.*`), made per item
    merged: list[tuple[str, ir.Value]] = field(default_factory=list)  # names every branch of one assigns
    when: tuple[ir.Branch, ...] = ()  # the `if` branches the loop is in: its statements' start with them


@dataclass(slots=True)
class FanOutRecorder:
    drafts: list[FanOutDraft] = field(default_factory=list)
    open: FanOutDraft | None = None

    def enter(self, low: Lowering, stmt: n.ForStmt, iterable: ir.Value) -> None:
        keys = tuple(frame.key for frame in low.frames)
        self.open = FanOutDraft(stmt.names, iterable, keys, stmt.span, id(stmt), when=tuple(low.guards))
        self.drafts.append(self.open)

    def exit(self) -> None:
        self.open = None

    def enter_static(self, low: Lowering, stmt: n.ForStmt, items: Any) -> None:
        """A static loop inside the open run-time loop (its body is lowered once per item of it)."""
        draft = self.open
        assert draft is not None, "enter_static is called inside a run-time loop"
        if id(stmt) in draft.inner:
            return
        made = StaticDraft(stmt.names, ir_data(items), stmt.span)
        draft.inner[id(stmt)] = made
        parent = draft.inner.get(low.frames[-1].loop) if low.frames[-1].loop != draft.loop else None
        (parent.body if parent is not None else draft.body).append(made)

    def statement(self, low: Lowering, stmt: Any, name: str, call: n.Call, node: NodeDraft) -> None:
        """A node statement in the open run-time loop was lowered (without an error) to `node`."""
        draft = self.open
        assert draft is not None, "statement is called inside a run-time loop"
        if id(stmt) in draft.described:
            return
        draft.described.add(id(stmt))
        try:
            made = StatementDraft(statement_name(node), node.target,
                                  tuple(template(low, draft, arg) for arg in call.args),
                                  tuple((kw.name, template(low, draft, kw.value)) for kw in call.kwargs),
                                  method_object(low, draft, call, node), call.span, node.name,
                                  tuple(_after(low, draft, item) for item in stmt.after),
                                  node.when[len(draft.when):])  # the branches inside the loop
        except Unsupported as exc:
            expr = exc.args[0] if exc.args else call
            low.diags.error(expr.span, "a run-time loop cannot say this: an index that changes with the item",
                            "index with constants; pass the item whole and index it in Python")
            return
        values = [*made.args, *(v for _, v in made.kwargs), *made.after]
        if any(_another_loops(value) for value in values):
            low.diags.error(call.span, "a run-time loop reads the results of another run-time loop",
                            "gather them in a node after that loop (`all = collect(results)`) and pass it")
            return
        inner = draft.inner.get(low.frames[-1].loop) if low.frames[-1].loop != draft.loop else None
        (inner.body if inner is not None else draft.body).append(made)

    def records(self, nodes: dict[str, NodeDraft], queries: list[Query]) -> tuple[ir.FanOut, ...]:
        """The run-time loops, each with the file's option queries (their nodes' names are known
        when they run, and the queries select them then)."""
        selecting = tuple((q.pattern.pattern, q.target, q.options) for q in queries)
        return tuple(ir.FanOut(d.vars, d.iterable, tuple(_body(d.body, nodes)), d.keys, _span(d.span), selecting,
                               tuple(d.decisions), tuple(dict(d.merged).items()), d.when)  # (an outer `if`'s
                     for d in self.drafts)  # merge of a name replaces an inner one's)


def _body(items: list[StaticDraft | StatementDraft], nodes: dict[str, NodeDraft]) -> list[ir.Statement | ir.Loop]:
    body: list[ir.Statement | ir.Loop] = []
    for item in items:
        if isinstance(item, StaticDraft):
            inner = _body(item.body, nodes)
            if inner or item.decides:
                body.append(ir.Loop(item.vars, item.items, tuple(inner), span=_span(item.span)))
        else:
            body.append(ir.Statement(item.name, nodes[item.first_node].kind, item.target, item.args, item.kwargs,
                                     item.object, _span(item.span), item.after, item.when))
    return body


def _span(span: n.Span) -> tuple[int, int, int, int]:
    return (span.line, span.col, span.end_line, span.end_col)


def inside_fanout(low: Lowering) -> bool:
    return any(frame.key == RUNTIME_KEY for frame in low.frames)


def described_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The loop keys of what a run-time loop's body describes once for every iteration: those of the
    static loops around the run-time loop as they are, RUNTIME_KEY from its own on (`moons`, `*`, `*`)."""
    first = keys.index(RUNTIME_KEY)
    return (*keys[:first], *(RUNTIME_KEY for _ in keys[first:]))


def statement_name(node: NodeDraft) -> str:
    """The statement a node of a run-time loop's body is made by: its name less the loop keys
    (`pushed.if` for `pushed.if.*`, one of several branches' nodes of `pushed`)."""
    return node.name[:len(node.name) - len(".".join(node.keys)) - 1]


# --- values ---------------------------------------------------------------------------


def _inner_loops(low: Lowering, draft: FanOutDraft) -> list[int]:
    """The loops running from the run-time loop inward (its own first)."""
    ids = [frame.loop for frame in low.frames]
    return ids[ids.index(draft.loop):]


def varies(low: Lowering, draft: FanOutDraft, expr: n.Expr) -> bool:
    """Whether `expr` differs from one item to the next: it reads a variable of the run-time loop
    or of a loop inside it, or a node made inside it."""
    if isinstance(expr, n.Ref):
        ref = low.unalias(expr) if expr.name in low.aliases else expr
        inner = _inner_loops(low, draft)
        if any(ref.name in frame.bindings for frame in low.frames if frame.loop in inner):
            return True
        symbol = low.symbols.get(ref.name)
        if symbol is None and ref.name in low.merged:  # a name every branch of an `if` assigns
            symbol = low.merged[ref.name].leaf()
        if symbol is not None and draft.loop in symbol.loops:
            return True
        return any(varies(low, draft, index) for index in ref.indexes)
    if isinstance(expr, n.ListExpr):
        return any(varies(low, draft, item) for item in expr.items)
    if isinstance(expr, n.DictExpr):
        return any(varies(low, draft, item) for _, item in expr.pairs)
    return False


def template(low: Lowering, draft: FanOutDraft, expr: n.Expr) -> ir.Value:
    """An argument as every item's iteration reads it (Unsupported if it cannot be said)."""
    if not varies(low, draft, expr):
        mark = len(low.data_uses)
        value = low.value(expr)
        del low.data_uses[mark:]
        return value
    if isinstance(expr, n.Ref):
        return _reference(low, draft, low.unalias(expr) if expr.name in low.aliases else expr)
    if isinstance(expr, n.ListExpr):
        return ir.ListOf(tuple(template(low, draft, item) for item in expr.items))
    if isinstance(expr, n.DictExpr):
        return ir.DictOf(tuple((key, template(low, draft, item)) for key, item in expr.pairs))
    raise Unsupported(expr)


def _reference(low: Lowering, draft: FanOutDraft, ref: n.Ref) -> ir.Value:
    if any(varies(low, draft, index) for index in ref.indexes):
        raise Unsupported(ref)
    path = tuple(low.index_constant(index) for index in ref.indexes)
    inner = _inner_loops(low, draft)
    if any(ref.name in frame.bindings for frame in low.frames if frame.loop in inner):
        return ir.LoopVar(ref.name, path)
    if ref.name not in low.symbols:  # after an `if` of the loop, a name its every branch assigns
        return merged_template(low, ref, path)
    symbol = low.symbols[ref.name]
    if symbol.branches and not low.reachable(symbol.branches, ref.name, ref.name_span):
        return ir.NONE
    pattern = low.loop_pattern(symbol)
    if None not in pattern:
        return ir.LoopRef(_statement_of(low, symbol), path)
    if path:  # members picked from a family of the current item
        raise Unsupported(ref)
    return ir.LoopFamily(ref.name, pattern.index(None))


def _statement_of(low: Lowering, symbol: NodeSymbol) -> str:
    """The statement of a symbol's nodes (its name, or `x.if` for one of several branches' `x`)."""
    return statement_name(low.nodes[next(iter(symbol.members.values()))])


def merged_template(low: Lowering, ref: n.Ref, path: ir.Path) -> ir.Value:
    """Inside a run-time loop, after an `if` of its body whose every branch assigns `ref`'s name:
    the node of the branch the item's decision takes, as every item reads it."""
    merged = low.merged[ref.name]
    if not low.reachable(merged.branches, ref.name, ref.name_span):
        return ir.NONE
    if not inner_merge_readable(low, merged, ref):
        return ir.NONE

    def one_of(merged: Any) -> ir.Value:  # a Merged (compiler.conditions), nested for nested `if`s
        return ir.OneOf(".".join((merged.decision, *merged.keys)), tuple(
            one_of(symbol) if hasattr(symbol, "symbols") else ir.LoopRef(_statement_of(low, symbol), path)
            for symbol in merged.symbols))

    return one_of(merged)


def inner_merge_readable(low: Lowering, merged: Any, ref: n.Ref) -> bool:
    """Whether a name every branch of an `if` assigns (a Merged) may be read here: one of an `if` in a
    static loop inside a run-time loop only inside that loop (an error elsewhere)."""
    if not merged.in_inner_loop or set(merged.leaf().loops) <= {frame.loop for frame in low.frames}:
        return True
    low.diags.error(ref.name_span, f"'{ref.name}' is chosen by an `if` in a static loop inside a run-time loop, "
                    "and is read there only",
                    "read it inside that loop; a node there that takes it is read after it as a family")
    return False


def _another_loops(value: ir.Value) -> bool:
    """Whether a value reads a run-time loop's family (its member keyed RUNTIME_KEY), or its
    nodes: what only that loop's expansion can say."""
    for found in ir.walk(value):
        if type(found) is ir.Family and any(key == RUNTIME_KEY for key, _ in found.members):
            return True
        if type(found) is ir.Ref and placeholder(found.node):
            return True
    return False


def _after(low: Lowering, draft: FanOutDraft, item: n.AfterName) -> ir.Value:
    """A node `after` names inside a run-time loop, as every item reads it (compiler.loops's
    after_template: a node, not an alias or a used workflow's call)."""
    if item.name not in low.symbols:
        raise Unsupported(item)
    return template(low, draft, n.Ref(item.name, (), item.span, item.span))


def method_object(low: Lowering, draft: FanOutDraft, call: n.Call, node: NodeDraft) -> ir.Value | None:
    """The object a method statement calls: the current item's (an object made outside the loop
    has its method calls in source order, which a run-time loop's items have not)."""
    if node.object is None:
        return None
    symbol = low.symbols[call.callee[0]]
    if draft.loop not in symbol.loops:
        raise Unsupported(call)
    return ir.LoopRef(symbol.name)


# --- outside the loop ---------------------------------------------------------------------


class Gather(ir.Transformer):
    """A node's (or an output's) values with the families of run-time loops made Gathered."""

    def visit_Family(self, value: ir.Family) -> ir.Value:
        if len(value.members) == 1 and value.members[0][0] == RUNTIME_KEY:
            return gathered(value)
        return self.generic_visit(value)


def gathered(family: ir.Family, path: ir.Path = ()) -> ir.Gathered:
    """The Gathered value a run-time loop's family (its one member keyed RUNTIME_KEY) stands for."""
    leaf: ir.Value = family
    while type(leaf) is ir.Family:
        leaf = leaf.members[0][1]
    if type(leaf) is ir.OneOf:  # a name every branch of an `if` in the loop assigns: named as its decision
        parts = leaf.decision.split(".")
        return ir.Gathered(family.name, tuple(parts[1:parts.index(RUNTIME_KEY)]), path)
    assert type(leaf) is ir.Ref, "a family's members end in Refs"
    parts = leaf.node.split(".")
    return ir.Gathered(family.name, tuple(parts[1:parts.index(RUNTIME_KEY)]), path)


def placeholder(node_name: str) -> bool:
    """Whether a node of lowering is a run-time loop's placeholder (not a node of the IR)."""
    return f".{RUNTIME_KEY}" in node_name
