"""Conditions in the front end: `if` / `elif` / `else` lowered to decisions and guarded nodes.

Each `if` chain becomes an ir.Decision named `if-N` (N counts the file's
`if`s in source order; a static loop's iteration adds its keys: `if-1.knn`),
its tests lowered to values (ir.conditions). Every node made inside a branch
carries the branches around it (ir.Node.when) and runs only when they are
taken.

A name assigned directly in several branches of one chain names one node
per branch, suffixed by the branch (`pushed.if`, `pushed.elif1`,
`pushed.else`); when every branch, an `else` included, assigns it, the name
is usable after the `if` and stands for the taken branch's value
(ir.OneOf). A name some branches leave out, or made in one branch only, is
used inside its branch only: after the `if` it may not exist, and a use
there is an error at the use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .. import ir
from ..ir.conditions import branch_words
from . import nodes as n
from .fanout import (
    RUNTIME_KEY,
    described_keys,
    inner_merge_readable,
    inside_fanout,
    merged_template,
    template,
    varies,
)
from .loops import Unsupported

if TYPE_CHECKING:
    from .lower import Lowering, NodeSymbol

# A branch as lowering tracks it, independent of loop iterations: (id() of the `if`, branch index).
BranchPath = tuple[tuple[int, int], ...]


@dataclass(slots=True)
class Merged:
    """A name every branch of one `if` assigns: after the `if`, the taken branch's node. A branch
    may assign it through an `if` of its own whose every branch does (a Merged in `symbols`)."""

    decision: str  # the decision's name without loop keys (`if-1`)
    symbols: list[NodeSymbol | Merged]  # one per branch, in order
    branches: BranchPath  # where the `if` is: the name is usable there (and deeper)
    line: int
    keys: tuple[str, ...] = ()  # the `if`'s loop keys, as its decision is named (`*` in a run-time loop)

    @property
    def in_inner_loop(self) -> bool:
        """Whether its `if` is in a static loop inside a run-time loop: readable inside that loop only."""
        return RUNTIME_KEY in self.keys[:-1]

    def leaves(self) -> list[NodeSymbol]:
        """The symbols of its nodes, every branch's (nested ones' too)."""
        return [leaf for symbol in self.symbols
                for leaf in (symbol.leaves() if isinstance(symbol, Merged) else [symbol])]

    def leaf(self) -> NodeSymbol:
        """A symbol of one of its nodes (they share their loops and loop keys)."""
        first = self.symbols[0]
        return first.leaf() if isinstance(first, Merged) else first


@dataclass(slots=True)
class Partial:
    """A name only some branches of one `if` assign: usable inside those branches only."""

    line: int  # of the `if`
    lines: tuple[int, ...]  # of the branches that assign it


def lower_if(low: Lowering, stmt: n.IfStmt) -> None:
    """Lower one `if` chain (once per iteration of the loops around it)."""
    in_fanout = inside_fanout(low)
    if low.frames and not in_fanout:  # a static loop holding an `if` has no loop description: its nodes are
        low.loops.drafts[low.frames[-1].loop].outermost().broken = True  # written one by one
    keys = tuple(frame.key for frame in low.frames)
    if in_fanout:  # described once, as the body's statements are: a static loop's keys inside the run-time
        keys = described_keys(keys)  # loop are `*` too (`if-2.*.*`), each item's iteration names its own
    base = f"if-{low.if_numbers[id(stmt)]}"
    decision = ".".join((base, *keys))
    tests = tuple(test_value(low, branch.test) for branch in stmt.branches if branch.test is not None)
    words = branch_words(len(tests), stmt.has_else)
    assigned = [_assigned(branch) for branch in stmt.branches]
    named = [_named(branch) for branch in stmt.branches]  # nodes named so in several branches: suffixed
    several = {name for name in set().union(*named) if sum(name in names for names in named) > 1}
    outer_suffixes = low.suffixes
    found: dict[str, list[NodeSymbol | Merged | None]] = {}
    draft = low.fanouts.open
    place = len(draft.decisions) if in_fanout and draft is not None else 0  # before the `if`s inside it
    first = draft is None or not in_fanout or id(stmt) not in draft.described  # a static loop inside the
    if in_fanout and draft is not None:  # run-time loop lowers it once per iteration: one description
        draft.described.add(id(stmt))
        if low.frames[-1].key != RUNTIME_KEY:
            draft.inner[low.frames[-1].loop].decides = True  # kept in the IR, though no node may be in it
    for index, (branch, word) in enumerate(zip(stmt.branches, words, strict=True)):
        low.guards.append(ir.Branch(decision, index))
        low.branch_path.append((id(stmt), index))
        low.suffixes = {**outer_suffixes, **{name: f"{outer_suffixes.get(name, name)}.{word}"  # `x.if.else` in
                                             for name in several if name in named[index]}}  # nested `if`s
        for name in assigned[index]:  # a later iteration's nodes join the same names' symbols
            kept = low.branch_symbols.get((id(stmt), index, name))
            if kept is not None:
                low.symbols[name] = kept
        partial_before = set(low.partial)
        low.block(branch.body)
        for name in set(low.partial) - partial_before:  # some branches of an `if` in this one assign it: for the
            del low.partial[name]  # rest of the file, this branch does not (its siblings may assign it)
        for name in assigned[index]:
            node_symbol = low.symbols.pop(name, None)
            symbol: NodeSymbol | Merged | None = node_symbol
            if node_symbol is not None:
                low.branch_symbols[(id(stmt), index, name)] = node_symbol
            elif name in low.merged and low.merged[name].branches == tuple(low.branch_path):
                symbol = low.merged.pop(name)  # every branch of an `if` of this branch assigns it
            found.setdefault(name, [None] * len(stmt.branches))[index] = symbol
        low.suffixes = outer_suffixes
        low.branch_path.pop()
        low.guards.pop()
    span = stmt.branches[0].keyword_span
    around = tuple(low.guards)[len(draft.when):] if in_fanout and draft is not None else tuple(low.guards)
    made = ir.Decision(decision, tests, keys, (span.line, span.col, span.end_line, span.end_col), around,
                       stmt.has_else)
    if in_fanout and draft is not None:  # an `if` of a run-time loop's body: made per item (ir.fanout)
        if first:
            draft.decisions.insert(place, made)
    else:
        low.decisions[decision] = made
    for name, symbols in found.items():
        if stmt.has_else and None not in symbols:
            merged = low.merged[name] = Merged(base, cast("list[NodeSymbol | Merged]", symbols),
                                               tuple(low.branch_path), stmt.span.line, keys)
            if in_fanout and draft is not None and not merged.in_inner_loop:  # gathered outside the loop,
                ref = n.Ref(name, (), stmt.span, stmt.span)  # as its statements' results are
                draft.merged.append((name, merged_template(low, ref, ())))
        else:
            low.partial[name] = Partial(stmt.span.line, tuple(branch.keyword_span.line for branch, symbol
                                                              in zip(stmt.branches, symbols, strict=True) if symbol))


def _named(branch: n.IfBranch) -> set[str]:
    """The names a branch's statements assign nodes to, those of every `if` inside it included."""
    found = {stmt.name for stmt in branch.body if isinstance(stmt, n.AssignStmt) and isinstance(stmt.value, n.Call)}
    for stmt in branch.body:
        if isinstance(stmt, n.IfStmt):
            found.update(*(_named(inner) for inner in stmt.branches))
    return found


def _assigned(branch: n.IfBranch) -> list[str]:
    """The names a branch's own statements assign nodes to, and those every branch of an `if` of its
    own assigns, `else` included (not those of loops inside it)."""
    found = [stmt.name for stmt in branch.body if isinstance(stmt, n.AssignStmt) and isinstance(stmt.value, n.Call)]
    for stmt in branch.body:
        if isinstance(stmt, n.IfStmt) and stmt.has_else:
            inner = [set(_assigned(b)) for b in stmt.branches]
            found += sorted(set.intersection(*inner) - set(found))
    return found


# --- tests ---------------------------------------------------------------------------


def test_value(low: Lowering, test: n.Test) -> ir.Value:
    """A test as an IR value; errors reported (a placeholder returned)."""
    if isinstance(test, n.BoolOp):
        items = tuple(test_value(low, item) for item in test.items)
        return ir.And(items) if test.op == "and" else ir.Or(items)
    if isinstance(test, n.NotTest):
        return ir.Not(test_value(low, test.item))
    if isinstance(test, n.Compare):
        return ir.Compare(test.op, _operand(low, test.left, test.op), _operand(low, test.right, test.op))
    return _operand(low, test, None)


def _operand(low: Lowering, expr: n.Test, op: str | None) -> ir.Value:
    """What a test reads or compares: a node's result, a param (indexed), a constant."""
    if isinstance(expr, n.Call):
        callee = ".".join(expr.callee)
        low.diags.error(expr.span, "a call inside a condition",
                        f"give it a name first: `x = {callee}(...)`, then test x")
        return ir.NONE
    if isinstance(expr, (n.BoolOp, n.NotTest, n.Compare)):
        low.diags.error(expr.span, f"'{op}' compares values, and this is a test",
                        "compare a value with a value: `a >= 1 and b == 2`")
        return ir.NONE
    draft = low.fanouts.open
    if draft is not None and inside_fanout(low) and varies(low, draft, expr):
        return _item_operand(low, draft, expr)
    value = low.value(expr)
    if type(value) in (ir.Ref, ir.ParamRef, ir.Literal):
        return value
    what = {ir.Family: "a loop family (every iteration's node)", ir.Gathered: "a run-time loop's results",
            ir.Imported: "an imported name", ir.OneOf: "the value of an earlier `if`"}.get(type(value), "a value")
    low.diags.error(expr.span, f"a condition tests one node's result, a param or a constant, not {what}",
                    "name what to test first: `best = pick(scores)`, then `if best[\"score\"] > 0.9`")
    return ir.NONE


def _item_operand(low: Lowering, draft: Any, expr: n.Test) -> ir.Value:
    """In a run-time loop's body, an operand that differs per item, as every item reads it: its
    loop variable (LoopVar), a node of its iteration (LoopRef) or a name an `if` of it merges."""
    try:
        value = template(low, draft, expr)  # type: ignore[arg-type]
    except Unsupported:
        low.diags.error(expr.span, "a run-time loop cannot say this: an index that changes with the item",
                        "index with constants; pass the item whole and index it in Python")
        return ir.NONE
    if type(value) in (ir.LoopVar, ir.LoopRef, ir.Literal):
        return value
    low.diags.error(expr.span, "a condition tests one node's result, a param or a constant, not "
                    + ("the value of an earlier `if`" if type(value) is ir.OneOf else "a loop family"),
                    "name what to test first: `best = pick(scores)`, then `if best[\"score\"] > 0.9`")
    return ir.NONE


# --- names after an `if` --------------------------------------------------------------


def reachable(low: Lowering, branches: BranchPath, name: str, span: n.Span) -> bool:
    """Whether a name made in the branches `branches` may be read here (an error if not): it
    exists only where those branches are taken, that is inside them."""
    here = tuple(low.branch_path)
    if here[:len(branches)] == branches:
        return True
    low.diags.error(span, f"'{name}' is made inside an `if` branch, and may not exist here",
                    "use it inside its branch, or assign it in every branch (`else` included) to use it after")
    return False


def partial_use(low: Lowering, name: str, span: n.Span) -> None:
    """A use of a name only some branches of an `if` assign."""
    partial = low.partial[name]
    lines = ", ".join(map(str, partial.lines))
    low.diags.error(span, f"'{name}' is assigned in only some branches of the `if` on line {partial.line} "
                    f"(line{'s' if len(partial.lines) > 1 else ''} {lines}), so it may not exist after it",
                    "assign it in every branch, `else` included, or use it inside its branch")


def merged_value(low: Lowering, name: str, ref: n.Ref, path: ir.Path) -> ir.Value:
    """`x` after an `if` whose every branch assigns it: the taken branch's node (a OneOf), or,
    outside the loops it is in, a family of them; indexed by `path`."""
    merged = low.merged[name]
    if not reachable(low, merged.branches, name, ref.name_span):
        return ir.NONE
    if not inner_merge_readable(low, merged, ref):
        return ir.NONE
    first = merged.leaf()
    pattern = low.loop_pattern(first)
    fixed = [key for key in pattern if key is not None]
    if len(fixed) == len(pattern):  # inside every loop it is in: this iteration's
        return _one_of(merged, tuple(fixed), path)
    # outside some of its loops: a family keyed by their keys, each member a OneOf
    tree = first.member_tree()
    for key in fixed:
        tree = tree.get(key, {})
    free = len(pattern) - len(fixed)
    depth = min(len(path), free)
    for index in path[:depth]:
        found = tree.get(str(index)) if isinstance(tree, dict) else None
        if found is None:
            low.diags.error(ref.span, f"{index!r} is not a key of the family '{name}'")
            return ir.NONE
        tree = found
    prefix = (*fixed, *(str(key) for key in path[:depth]))
    if depth == free:
        return _one_of(merged, prefix, path[depth:])
    return ir.Family(name, _family_members(merged, tree, prefix))


def _family_members(merged: Merged, tree: dict[str, Any], keys: tuple[str, ...]) -> tuple[tuple[str, ir.Value], ...]:
    return tuple((key, ir.Family(merged.leaf().name, _family_members(merged, inner, (*keys, key)))
                  if isinstance(inner, dict) else _one_of(merged, (*keys, key), ()))
                 for key, inner in tree.items())


def _one_of(merged: Merged, keys: tuple[str, ...], path: ir.Path) -> ir.Value:
    decision = ".".join((merged.decision, *keys))
    return ir.OneOf(decision, tuple(_one_of(symbol, keys, path) if isinstance(symbol, Merged)
                                    else ir.Ref(symbol.members[keys], path) for symbol in merged.symbols))


def numbered_ifs(statements: tuple[n.Stmt, ...], walk: Any) -> dict[int, int]:
    """id() of each `if` -> its number in the file (1, 2, ...), in source order."""
    return {id(stmt): number for number, stmt in enumerate((s for s in walk(statements) if isinstance(s, n.IfStmt)),
                                                            start=1)}
