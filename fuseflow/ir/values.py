"""Argument values of the IR: typed, immutable records.

What a node passes to its callable, built by the compiler from the source and
read by every generator and by the runtime:

    Literal(3)                                   a constant (any JSON value)
    ParamRef("a", (0,))                          a run-time param, optionally indexed
    Ref("s1", (0, "X"))                          a node's result, optionally indexed
    ListOf((Ref("a"), Literal(1)))               a list holding references
    DictOf((("x", Ref("a")),))                   a dict holding references (keys are strings)
    Family("acc", (("moons", Ref("acc.moons")),))
                                                 every node of a loop family, keyed by loop key;
                                                 members nest (a Family) for nested loops
    Imported("examples.ops:add")                 an imported callable passed as a value
    Imported("examples.data:TABLE", (0,))        an imported module-level value, indexed

Three more appear only in the statements of a loop's description
(fuseflow.ir.loops), where one record stands for every iteration:

    LoopVar("spec", ("kind",))                   a loop variable, optionally indexed: spec["kind"]
    LoopRef("parts", ("x_train",))               the node of statement `parts` at the current
                                                 iteration's keys, optionally indexed
    LoopFamily("x", 1)                           the family of statement `x` in the current
                                                 iteration of its first 1 loops

and one only in a workflow with run-time loops (Workflow.fanouts):

    Gathered("stats", ("moons",), (0,))          every item's `stats` of the run-time loop made in
                                                 static iteration moons, indexed, once it has run

and, in a workflow with conditions (Workflow.decisions, fuseflow.ir.conditions):

    OneOf("if-1", (Ref("pushed.if"), Ref("pushed.else")))
                                                 after an `if`, a name every branch defines: the
                                                 member of the branch the decision takes
    Compare(">=", Ref("acc", ("f1",)), ParamRef("threshold"))
    And((a, b))   Or((a, b))   Not(a)            a decision's tests (any other value tests its truth)

An index path is a tuple of ints and strings. Equal values may be one shared
object (a fan-out passes the same constant to every node): records are
frozen, and a pass that needs a changed value builds a new one (see
walk.Transformer).
"""
from __future__ import annotations

from typing import Any

from .record import record

Path = tuple[int | str, ...]  # an index path: `x[0]["X"]` is (0, "X")


class Value:
    """The base of every argument value."""

    __slots__ = ()


@record
class Literal(Value):
    value: Any


@record
class ParamRef(Value):
    name: str
    path: Path = ()


@record
class Ref(Value):
    node: str
    path: Path = ()


@record
class ListOf(Value):
    items: tuple[Value, ...]


@record
class DictOf(Value):
    items: tuple[tuple[str, Value], ...]


@record
class Family(Value):
    """A loop family used outside its loop: a dict keyed by loop key at run time.
    Each member is a Ref, or a Family for the loops nested inside."""

    name: str
    members: tuple[tuple[str, Value], ...]


@record
class Imported(Value):
    """An imported name passed as an argument: "module:qualname", a callable, a class or
    any module-level value, indexed by `path` (`DATA[0]`) when the program runs."""

    target: str
    path: Path = ()


@record
class LoopVar(Value):
    """In a loop statement: the loop variable `name` of the current iteration, indexed by `path`."""

    name: str
    path: Path = ()


@record
class LoopRef(Value):
    """In a loop statement: the node of `statement` at the current iteration's keys (its loops
    enclose the use), indexed by `path` at run time."""

    statement: str
    path: Path = ()


@record
class LoopFamily(Value):
    """In a loop statement: the family of `statement` whose first `fixed` loop keys are the
    current iteration's (its outer loops enclose the use; the inner ones do not)."""

    statement: str
    fixed: int


@record
class Gathered(Value):
    """Outside a run-time loop (fuseflow.ir.fanout): the results of statement `statement` over
    every item, a list in item order (a dict keyed by item key for a loop over a dict), of the
    loop made in the static loop iteration `keys`; `path` indexes it when the loop has run.
    Replaced by the members themselves once the loop's items are known (FanOut.expand)."""

    statement: str
    keys: tuple[str, ...] = ()
    path: Path = ()


@record
class RunStatus(Value):
    """Inside `finally`: how the run went, indexed by `path` (`run_status["state"]`): a dict with
    "state" ("succeeded", "failed" or "interrupted") and "failed" (the nodes that failed, each
    {"node": name, "error": message}), known when the rest of the run has ended."""

    path: Path = ()


@record
class OneOf(Value):
    """After `if ... { x = f() } else { x = g() }`: `x`, the member of the branch decision
    `decision` takes (members in branch order; a member is a Ref, indexed as the use indexes
    `x`). Replaced by that member once the decision is made (runtime.conditions)."""

    decision: str
    members: tuple[Value, ...]


@record
class Compare(Value):
    """A test of a decision: `left OP right`, OP one of == != < <= > >=."""

    op: str
    left: Value
    right: Value


@record
class And(Value):
    """A test of a decision: every item holds (`a and b`), tested in order, stopping at the first that fails."""

    items: tuple[Value, ...]


@record
class Or(Value):
    """A test of a decision: some item holds (`a or b`), tested in order, stopping at the first that holds."""

    items: tuple[Value, ...]


@record
class Not(Value):
    """A test of a decision: `not item`."""

    item: Value


NONE = Literal(None)  # the placeholder a value with an error is lowered to (the error is reported)


def holds(data: Any, kind: type) -> bool:
    """Whether constant data (lists, dicts, scalars) holds an object of type `kind` anywhere: an
    imported name (an Imported here, a CallableRef in the compiler), a run-time loop's item (KFP)."""
    if type(data) is kind:
        return True
    if type(data) is list:
        return any(holds(item, kind) for item in data)
    if type(data) is dict:
        return any(holds(item, kind) for item in data.values())
    return False


def holds_imported(data: Any) -> bool:
    """Whether constant data holds an Imported record anywhere."""
    return holds(data, Imported)


def constant(data: Any) -> Value:
    """Constant data as an argument value: a Literal, or, when it holds imported names
    (`[["knn", KNN]]`), the lists and dicts around them (an Imported is no literal)."""
    if not holds_imported(data):
        return Literal(data)
    if type(data) is Imported:
        return data
    if type(data) is list:
        return ListOf(tuple(constant(item) for item in data))
    return DictOf(tuple((key, constant(item)) for key, item in data.items()))


def data_of(value: Value) -> Any:
    """The constant data a value made by `constant` stands for (its inverse)."""
    if type(value) is Literal:
        return value.value
    if type(value) is ListOf:
        return [data_of(item) for item in value.items]
    if type(value) is DictOf:
        return {key: data_of(item) for key, item in value.items}
    assert type(value) is Imported, f"not a constant: {value!r}"
    return value
