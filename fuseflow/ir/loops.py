"""The loops of a workflow as the file writes them: each statement once, for every iteration.

The nodes of a Workflow are its loops expanded, one node per statement and
iteration; the generators of Python also want the loops themselves, so that
a node statement inside `for` loops is written once, inside Python loops.
`Workflow.loops` keeps them:

    Loop(vars=("ds",), items=["moons", "circles"], let="datasets", body=(
        Statement("data", "call", "examples.models:make_dataset", args=(LoopVar("ds"),)),
        Loop(vars=("name", "pars"), items={"knn": {...}, "tree": {...}}, let="models", body=(
            Statement("model", "call", "examples.models:train",
                      args=(LoopVar("name"), LoopVar("pars"), LoopRef("data", (0,)))),
        )),
    ))

An iteration adds loop_key(item, index) to the names of the nodes made in it
(`model.moons.knn`); fuseflow.ir.expand gives the nodes a description stands
for, which are the workflow's own (tests hold them equal). Options are not part of a
statement: `options` entries select nodes by name, so the nodes carry them.
A loop the description cannot express (its items depend on an outer loop's
variable, an argument indexes by a loop variable, ...) is left out with the
loops around it: its nodes are only in Workflow.nodes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .conditions import Branch, Decision
from .record import record
from .values import Value


@record
class Statement:
    """A node statement in a loop body: the call every iteration makes. `object` (a method's)
    is a Ref to a node outside the loops or a LoopRef to one made in them. `after`: the nodes
    the file says it runs after (Node.declared_after), each a Ref or Family outside the loops,
    a LoopRef (the current iteration's) or a LoopFamily."""

    name: str  # node names are the name, then the loop keys: model.moons.knn
    kind: str  # call, object or method, as the nodes'
    target: str
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str, Value], ...] = ()
    object: Value | None = None
    span: tuple[int, int, int, int] = (0, 0, 0, 0)
    after: tuple[Value, ...] = ()
    # in a run-time loop's body: the `if` branches it is in, their decisions named with the
    # iteration's keys as lowering names them, RUNTIME_KEY `*` for the item's (`if-1.*`)
    when: tuple[Branch, ...] = ()

    def values(self) -> Iterator[Value]:
        yield from self.args
        for _, value in self.kwargs:
            yield value


@record
class Loop:
    """`for VARS in ITEMS { BODY }`: `items` is the constant iterated (a list, or a dict whose
    keys a single variable takes), `let` the name of the `let` constant it is, if it is one.
    Several variables over a list unpack each item (a list of as many values), keyed by its
    first value. An imported name in the items is an Imported record (fuseflow.ir.values)."""

    vars: tuple[str, ...]
    items: Any
    body: tuple[Statement | Loop, ...] = ()
    let: str | None = None
    span: tuple[int, int, int, int] = (0, 0, 0, 0)
    positions: bool = False  # a list's iterations keyed by position, always (a run-time loop's: ir.fanout)

    def iterations(self) -> list[tuple[str, dict[str, Any]]]:
        """(loop key, the variables' values) per iteration, in order."""
        if self.positions and not isinstance(self.items, dict):
            if self.unpacks:
                return [(str(i), dict(zip(self.vars, item, strict=True))) for i, item in enumerate(self.items)]
            return [(str(i), {self.vars[0]: item}) for i, item in enumerate(self.items)]
        if isinstance(self.items, dict):
            pairs = list(self.items.items())
            if len(self.vars) == 2:
                return [(loop_key(k, i), {self.vars[0]: k, self.vars[1]: v}) for i, (k, v) in enumerate(pairs)]
            return [(loop_key(k, i), {self.vars[0]: k}) for i, (k, _) in enumerate(pairs)]
        if self.unpacks:
            rows = enumerate(self.items)
            return [(loop_key(item[0], i), dict(zip(self.vars, item, strict=True))) for i, item in rows]
        return [(loop_key(item, i), {self.vars[0]: item}) for i, item in enumerate(self.items)]

    @property
    def unpacks(self) -> bool:
        """Whether each item is a list its variables take apart: `for name, cls in rows`."""
        return len(self.vars) > 1 and not isinstance(self.items, dict)


@record
class FanOut:
    """`for VARS in ITERABLE { BODY }` where ITERABLE is a node's result or a param (a Ref or a
    ParamRef, possibly indexed): its body as loop descriptions say it (Statements, static Loops
    inside), `keys` those of the static loop iteration it is in."""

    vars: tuple[str, ...]
    iterable: Value
    body: tuple[Statement | Loop, ...]
    keys: tuple[str, ...] = ()
    span: tuple[int, int, int, int] = (0, 0, 0, 0)
    # the file's option queries, in order, as (regex, target, options): its nodes' names are known
    # only when it runs, and that is when the queries select them, as they select every other node
    queries: tuple[tuple[str, str, dict[str, Any]], ...] = ()
    # the `if`s of its body, made per item (`if-1.*` becomes `if-1.0`, `if-1.1`, ...): their tests
    # read the item's values as its statements do (LoopVar, LoopRef); `merged`: the names every
    # branch of one of them assigns, each the value the taken branch's node holds (a OneOf of
    # LoopRefs), gathered outside the loop as a statement's results are
    decisions: tuple[Decision, ...] = ()
    merged: tuple[tuple[str, Value], ...] = ()
    # the `if` branches the loop is in, outermost first: it expands only once they are taken, and
    # not at all when one is not (its nodes are then skipped: runtime.conditions)
    when: tuple[Branch, ...] = ()

    def statements(self) -> list[str]:
        """The names of the statements in its body, inner loops' included, in order."""
        found: list[str] = []
        stack: list[Statement | Loop] = list(reversed(self.body))
        while stack:
            item = stack.pop()
            if isinstance(item, Loop):
                stack.extend(reversed(item.body))
            else:
                found.append(item.name)
        return found


def loop_key(item: Any, index: int) -> str:
    """The part of a node name an iteration adds: the item itself when it is a
    short scalar, its position otherwise. Characters that could not appear in a
    node name (dots, spaces, ...) become '_'; collisions are reported by the compiler."""
    if isinstance(item, bool) or item is None:
        return str(item).lower() if item is not None else "none"
    if type(item) in (int, str) and str(item) != "":  # exactly: an imported name (a str subclass) is no key
        return "".join(c if c.isalnum() or c in "_-" else "_" for c in str(item))
    return str(index)


def keyed(items: Iterable[Any], first: bool = False) -> list[tuple[str, Any]]:
    """(loop key, item) for each item, as generated code loops when the keys are not the items:
    `for x_key, x in rt.keyed(xs)`; a pair from `dict.items()` is keyed by its dict key:
    `for k_key, (k, v) in rt.keyed(d.items())`; `first`: a list unpacked is keyed by its first
    value: `for name_key, (name, cls) in rt.keyed(rows, first=True)`."""
    return [(loop_key(item[0] if first or type(item) is tuple else item, i), item) for i, item in enumerate(items)]
