"""Conditions: `if` / `elif` / `else`, as decisions the run makes and the branches they take.

    acc = score(model, test)
    if acc["f1"] >= threshold and not dry_run {      # Decision("if-1", tests=(And(...), Compare(...)))
        pushed = push(model)                         # Node("pushed.if", when=(Branch("if-1", 0),))
    } elif acc["f1"] >= 0.5 {
        pushed = retrain(model)                      # Node("pushed.elif1", when=(Branch("if-1", 1),))
    } else {
        pushed = alert("low f1")                     # Node("pushed.else", when=(Branch("if-1", 2),))
    }
    note(pushed)                                     # args=(OneOf("if-1", (Ref("pushed.if"), ...)),)

A decision takes the first branch whose test holds, or the `else` branch
(index len(tests)), or none when there is no `else`. A node runs only when
every decision around it (Node.when, outermost first) takes its branch; the
others are skipped, never run. Tests are values (ir.values: Compare, And, Or,
Not, and any other value tested for its truth), evaluated as data by `holds`
wherever the run makes the decision (the engine, a KFP step): no text of a
.fuse file ever becomes code.
"""
from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from typing import Any

from .record import record
from .values import And, Compare, Literal, LoopRef, LoopVar, Not, Or, ParamRef, Ref, Value

COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


@record
class Branch:
    """A node (or a decision) inside branch `index` of decision `decision`: index i is the i-th
    test's (`if` 0, the first `elif` 1, ...), len(tests) the `else`."""

    decision: str
    index: int


@record
class Decision:
    """One `if` chain: `tests` in order, one per `if`/`elif`. `keys`: the static loop iteration
    it is in (its name ends with them); `when`: the branches of the decisions around it, outermost
    first, which must be taken for it to be made at all; `line` the line of its `if`."""

    name: str
    tests: tuple[Value, ...]
    keys: tuple[str, ...] = ()
    span: tuple[int, int, int, int] = (0, 0, 0, 0)
    when: tuple[Branch, ...] = ()
    has_else: bool = False

    def branch_words(self) -> tuple[str, ...]:
        """How its branches are named in node names: `if`, `elif1`, `elif2`, ..., `else`."""
        return branch_words(len(self.tests), self.has_else)


def members(decisions: Iterable[Decision], nodes: Iterable[Any]) -> dict[str, dict[str, int]]:
    """Per decision, the nodes inside it (nested decisions' too) with their branch index, in node
    order: what the runtime skips of a branch not taken. `nodes`: ir.Nodes (their `when`)."""
    found: dict[str, dict[str, int]] = {decision.name: {} for decision in decisions}
    for node in nodes:
        for branch in node.when:
            found[branch.decision][node.name] = branch.index
    return found


def where(decision: Decision) -> str:
    """How messages name a decision: the `if` on line 5 (iteration knn of the loops around it)."""
    keys = f" (iteration {'.'.join(decision.keys)})" if decision.keys else ""
    return f"the `if` on line {decision.span[0]}{keys}"


def branch_words(tests: int, has_else: bool) -> tuple[str, ...]:
    return ("if", *(f"elif{i}" for i in range(1, tests)), *(("else",) if has_else else ()))


class TestFailed(Exception):
    """A test could not be evaluated (`"a" < 1`): the message says which comparison and why."""


def taken(tests: tuple[Value, ...], value_of: Callable[[Value], Any]) -> int:
    """The index of the branch the tests take: the first that holds, else len(tests) (the `else`,
    or no branch). `value_of(operand)`: an operand's value (a node's result, a param, a literal)."""
    for i, test in enumerate(tests):
        if holds(test, value_of):
            return i
    return len(tests)


def holds(test: Value, value_of: Callable[[Value], Any]) -> bool:
    """Whether a test holds, `and`/`or` stopping early as Python's do; TestFailed when a
    comparison of its values fails (values that do not compare) or a value has no truth."""
    kind = type(test)
    if kind is And:
        return all(holds(item, value_of) for item in test.items)  # type: ignore[attr-defined]
    if kind is Or:
        return any(holds(item, value_of) for item in test.items)  # type: ignore[attr-defined]
    if kind is Not:
        return not holds(test.item, value_of)  # type: ignore[attr-defined]
    if kind is Compare:
        assert isinstance(test, Compare)
        left, right = value_of(test.left), value_of(test.right)
        try:
            return bool(COMPARISONS[test.op](left, right))
        except Exception as exc:  # a user's values: a TypeError, or any error of their __lt__
            raise TestFailed(f"{_shown(left)} {test.op} {_shown(right)}: {type(exc).__name__}: {exc}") from None
    value = value_of(test)
    try:
        return bool(value)
    except Exception as exc:  # e.g. a numpy array of several items
        raise TestFailed(f"the truth of {_shown(value)}: {type(exc).__name__}: {exc}") from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def test_text(test: Value, operand: Callable[[Value], str]) -> str:
    """A test as the file writes it (`acc["f1"] >= threshold and not dry_run`), `operand` giving
    each operand's text: for messages and for what a target shows of a branch."""
    kind = type(test)
    if kind in (And, Or):
        word = " and " if kind is And else " or "
        return word.join(_grouped(item, operand, kind) for item in test.items)  # type: ignore[attr-defined]
    if kind is Not:
        return "not " + _grouped(test.item, operand, kind)  # type: ignore[attr-defined]
    if kind is Compare:
        assert isinstance(test, Compare)
        return f"{operand(test.left)} {test.op} {operand(test.right)}"
    return operand(test)


def shown(test: Value) -> str:
    """A test as the file writes it: `acc["f1"] >= threshold and not dry_run` (for graphs, a KFP
    condition's name, messages)."""
    return test_text(test, operand_text)


def operand_text(value: Value) -> str:
    """An operand as the file writes it: a node or param name with its indexes, or a literal."""
    if type(value) is Literal:
        data = value.value
        if data is None or type(data) is bool:
            return {True: "true", False: "false", None: "none"}[data]
        return json.dumps(data, ensure_ascii=False)
    if type(value) is Ref:
        name, path = value.node, value.path
    elif type(value) is ParamRef:
        name, path = value.name, value.path
    elif type(value) is LoopVar:  # in a run-time loop's body: its item, a node of the item's
        name, path = value.name, value.path
    elif type(value) is LoopRef:
        name, path = value.statement, value.path
    else:
        return repr(value)
    return name + "".join(f"[{json.dumps(key, ensure_ascii=False)}]" for key in path)


def _grouped(test: Value, operand: Callable[[Value], str], within: type) -> str:
    text = test_text(test, operand)
    inner = type(test)
    needs = (inner is Or and within in (And, Not)) or (inner is And and within in (Or, Not))  # and in or: clearer
    return f"({text})" if needs else text
