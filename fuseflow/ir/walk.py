"""One walk over IR values, in the spirit of Jinja's NodeVisitor and sqlglot's walk.

    for value in walk(node_value):          # the value and everything inside it, depth first
        ...
    class Text(Visitor):                    # a fold: one method per kind of value
        def visit_Literal(self, v): ...
        def visit_Ref(self, v): ...
    Text().visit(value)

    for chain, statement in loop_statements(wf.loops):   # loop descriptions, statement by statement
        ...

A Visitor without a method for a kind falls back to `generic_visit`, which
visits the children and returns None; a Transformer's `generic_visit`
rebuilds the value from its transformed children (and returns the value
itself, shared, when nothing inside changed).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .loops import Loop, Statement
from .values import And, Compare, DictOf, Family, ListOf, Not, OneOf, Or, ParamRef, Ref, Value


def children(value: Value) -> tuple[Value, ...]:
    """The values directly inside `value` (items, dict values, family members, the members of
    a OneOf, the operands of a test)."""
    if type(value) is ListOf:
        return value.items
    if type(value) is DictOf:
        return tuple(item for _, item in value.items)
    if type(value) is Family:
        return tuple(item for _, item in value.members)
    if type(value) is OneOf:
        return value.members
    if type(value) is Compare:
        return value.left, value.right
    if type(value) in (And, Or):
        return value.items  # type: ignore[attr-defined,no-any-return]
    if type(value) is Not:
        return (value.item,)
    return ()


def walk(value: Value) -> Iterator[Value]:
    """`value` and every value inside it, depth first, in source order."""
    stack = [value]
    while stack:
        current = stack.pop()
        yield current
        inner = children(current)
        if inner:
            stack.extend(reversed(inner))


def referenced_nodes(value: Value) -> Iterator[str]:
    """Every node a value reads, in order (with repeats)."""
    if type(value) is Ref:  # the common case, without the walk
        yield value.node
    elif type(value) in _CONTAINERS:
        yield from (v.node for v in walk(value) if isinstance(v, Ref))


def referenced_params(value: Value) -> Iterator[str]:
    """Every param a value reads, in order (with repeats)."""
    if type(value) is ParamRef:
        yield value.name
    elif type(value) in _CONTAINERS:
        yield from (v.name for v in walk(value) if isinstance(v, ParamRef))


_CONTAINERS = (ListOf, DictOf, Family, OneOf, Compare, And, Or, Not)


def loop_statements(loops: Iterable[Loop], outer: tuple[Loop, ...] = ()
                    ) -> Iterator[tuple[tuple[Loop, ...], Statement]]:
    """Every statement of loop descriptions with the loops around it, outermost first, in source order."""
    for loop in loops:
        chain = (*outer, loop)
        for item in loop.body:
            if isinstance(item, Loop):
                yield from loop_statements((item,), chain)
            else:
                yield chain, item


class Visitor:
    """Dispatches `visit(value)` to `visit_<ClassName>(value)`, else `generic_visit`."""

    def visit(self, value: Value) -> Any:
        method = getattr(self, "visit_" + type(value).__name__, None)
        return method(value) if method is not None else self.generic_visit(value)

    def generic_visit(self, value: Value) -> Any:
        for child in children(value):
            self.visit(child)
        return None


class Transformer(Visitor):
    """A Visitor whose methods return values: the result is the transformed value."""

    def generic_visit(self, value: Value) -> Value:
        if type(value) is ListOf:
            items = tuple(self.visit(item) for item in value.items)
            return value if _same(items, value.items) else ListOf(items)
        if type(value) is DictOf:
            pairs = tuple((key, self.visit(item)) for key, item in value.items)
            return value if _same_pairs(pairs, value.items) else DictOf(pairs)
        if type(value) is Family:
            members = tuple((key, self.visit(item)) for key, item in value.members)
            return value if _same_pairs(members, value.members) else Family(value.name, members)
        if type(value) in _TESTS_AND_CHOICES:
            inner = children(value)
            visited = tuple(self.visit(item) for item in inner)
            return value if _same(visited, inner) else _rebuilt(value, visited)
        return value


_TESTS_AND_CHOICES = (OneOf, Compare, And, Or, Not)


def _rebuilt(value: Value, inner: tuple[Value, ...]) -> Value:
    """A OneOf or a test like `value`, with other children."""
    if type(value) is OneOf:
        return OneOf(value.decision, inner)
    if type(value) is Compare:
        return Compare(value.op, *inner)
    if type(value) is Not:
        return Not(inner[0])
    return And(inner) if type(value) is And else Or(inner)


def _same(new: tuple[Value, ...], old: tuple[Value, ...]) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))


def _same_pairs(new: tuple[tuple[str, Value], ...], old: tuple[tuple[str, Value], ...]) -> bool:
    return all(a[1] is b[1] for a, b in zip(new, old, strict=True))
