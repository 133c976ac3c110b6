"""The nodes loop descriptions stand for: each statement of Workflow.loops, once per iteration.

    expansion = Expansion(wf.loops)
    for node in expansion.nodes(wf.loops[0]): ...      # Expanded(name="model.moons.knn", ...)

What lowering the loops gives Workflow.nodes, less options and a method call's
ordering on its object: the generators check a description against the nodes
before they write it as a Python loop, and tests hold them equal for every file.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .conditions import Branch
from .loops import Loop, Statement
from .record import record
from .values import (
    And,
    Compare,
    DictOf,
    Family,
    ListOf,
    Literal,
    LoopFamily,
    LoopRef,
    LoopVar,
    Not,
    OneOf,
    Or,
    Ref,
    Value,
    constant,
)
from .walk import loop_statements, referenced_nodes


@record
class Expanded:
    """A node a loop statement makes in one iteration (what Workflow.nodes holds for it, less
    its options and a method call's ordering on its object: `after` is Node.declared_after)."""

    name: str
    kind: str
    target: str
    object: str | None
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    keys: tuple[str, ...]
    after: tuple[str, ...] = ()
    when: tuple[Branch, ...] = ()  # a run-time loop's `if` branches it is in, named for its iteration


class NotIndexable(Exception):
    """A loop variable's item lacks the index the file takes of it (a run-time loop's items are
    only known when it runs; a static loop's are checked by the compiler)."""


class Expansion:
    """The nodes of loop descriptions: `Expansion(wf.loops).nodes(loop)` gives, per iteration
    and statement in order, the node with the values that iteration gives it."""

    def __init__(self, loops: Iterable[Loop]):
        self.chains = {statement.name: chain for chain, statement in loop_statements(loops)}
        self._iterations: dict[int, list[tuple[str, dict[str, Any]]]] = {}

    def iterations(self, loop: Loop) -> list[tuple[str, dict[str, Any]]]:
        """loop.iterations(), worked out once per loop."""
        found = self._iterations.get(id(loop))
        if found is None:
            found = self._iterations[id(loop)] = loop.iterations()
        return found

    def nodes(self, loop: Loop, keys: tuple[str, ...] = (), bindings: dict[str, Any] | None = None
              ) -> Iterator[Expanded]:
        for key, values in self.iterations(loop):
            scope = {**(bindings or {}), **values}
            inner = (*keys, key)
            for item in loop.body:
                if isinstance(item, Loop):
                    yield from self.nodes(item, inner, scope)
                else:
                    yield self.node(item, Iteration(self, inner, scope))

    def node(self, s: Statement, at: Iteration) -> Expanded:
        obj = at.value(s.object) if s.object is not None else None
        after = tuple(dict.fromkeys(name for v in s.after for name in referenced_nodes(at.value(v))))
        return Expanded(".".join((s.name, *at.keys)), s.kind, s.target, obj.node if isinstance(obj, Ref) else None,
                        tuple(at.value(v) for v in s.args), tuple((k, at.value(v)) for k, v in s.kwargs), at.keys,
                        after, tuple(at.branch(b) for b in s.when))

    def family(self, statement: str, keys: tuple[str, ...]) -> Value:
        """The family of `statement` with its first len(keys) loop keys `keys`."""
        chain = self.chains[statement]
        return self._members(statement, chain, keys)

    def _members(self, statement: str, chain: tuple[Loop, ...], keys: tuple[str, ...]) -> Value:
        if len(keys) == len(chain):
            return Ref(".".join((statement, *keys)))
        loop = chain[len(keys)]
        return Family(statement, tuple((key, self._members(statement, chain, (*keys, key)))
                                       for key, _ in self.iterations(loop)))


class Iteration:
    """The values of a statement in one iteration: loop variables and loop references resolved."""

    def __init__(self, expansion: Expansion, keys: tuple[str, ...], bindings: dict[str, Any]):
        self.expansion = expansion
        self.keys = keys
        self.bindings = bindings

    def value(self, value: Value) -> Value:
        if isinstance(value, LoopVar):
            found = self.bindings[value.name]
            for step in value.path:
                try:
                    found = found[step]
                except (LookupError, TypeError) as exc:  # a run-time loop's item: known only now
                    raise NotIndexable(f"cannot take [{step!r}] of {value.name} "
                                       f"({type(found).__name__}): {type(exc).__name__}: {exc}") from None
            return constant(found)
        if isinstance(value, LoopRef):
            depth = len(self.expansion.chains[value.statement])
            return Ref(".".join((value.statement, *self.keys[:depth])), value.path)
        if isinstance(value, LoopFamily):
            return self.expansion.family(value.statement, self.keys[:value.fixed])
        if isinstance(value, ListOf):
            items = tuple(self.value(item) for item in value.items)
            if all(isinstance(item, Literal) for item in items):
                return Literal([item.value for item in items])  # type: ignore[attr-defined]
            return ListOf(items)
        if isinstance(value, DictOf):
            pairs = tuple((key, self.value(item)) for key, item in value.items)
            if all(isinstance(item, Literal) for _, item in pairs):
                return Literal({key: item.value for key, item in pairs})  # type: ignore[attr-defined]
            return DictOf(pairs)
        if isinstance(value, OneOf):  # a name every branch of an `if` in a run-time loop's body assigns
            return OneOf(self.decision(value.decision), tuple(self.value(member) for member in value.members))
        if isinstance(value, Compare):  # the tests of such an `if`
            return Compare(value.op, self.value(value.left), self.value(value.right))
        if isinstance(value, (And, Or)):
            return type(value)(tuple(self.value(item) for item in value.items))
        if isinstance(value, Not):
            return Not(self.value(value.item))
        return value  # a Literal, ParamRef, Ref, Family or Imported: the same in every iteration

    def decision(self, name: str) -> str:
        """An `if` of a run-time loop's body as this iteration makes it: its name, lowering's
        (`if-1.*`, after the keys of the static loops around the loop), with the item's key for `*`."""
        parts = name.split(".")
        return ".".join(self.keys[i - 1] if part == "*" else part for i, part in enumerate(parts))

    def branch(self, branch: Branch) -> Branch:
        return Branch(self.decision(branch.decision), branch.index)
