"""A value indexed where its parts are known: `indexed(ListOf((Ref("a"), Ref("b"))), (1,))` is Ref("b").

Used where an index path meets a value the IR spells out: a used workflow's
param bound to what the call passes (`cfg["k"]` of `cfg={"k": 10}` is 10), and
a run-time loop's results indexed outside it (`stats[0]`) once the loop has run.
A reference keeps the path as its own, to be taken when the workflow runs.
"""
from __future__ import annotations

from typing import Any

from .values import DictOf, Family, Imported, ListOf, Literal, ParamRef, Path, Ref, Value


class IndexProblem(Exception):
    """The path cannot be taken of the value (a key it lacks, an index out of range, a type)."""


def indexed(value: Value, path: Path) -> Value:
    """`value` indexed by `path`: its part where the value spells its parts out, the reference
    with the path added to its own otherwise; IndexProblem when the path cannot be taken."""
    if not path:
        return value
    kind = type(value)
    if kind is Literal:
        return Literal(_taken(value.value, path))  # type: ignore[attr-defined]
    if kind is ParamRef:
        return ParamRef(value.name, value.path + path)  # type: ignore[attr-defined]
    if kind is Ref:
        return Ref(value.node, value.path + path)  # type: ignore[attr-defined]
    if kind is Imported:
        return Imported(value.target, value.path + path)  # type: ignore[attr-defined]
    key, rest = path[0], path[1:]
    if kind is ListOf:
        items = value.items  # type: ignore[attr-defined]
        if type(key) is not int:
            raise IndexProblem(f"a list is indexed by an integer, not {key!r}")
        if not -len(items) <= key < len(items):
            raise IndexProblem(f"index {key} is out of range for a list of {len(items)}")
        return indexed(items[key], rest)
    if kind in (DictOf, Family):
        pairs = dict(value.items if kind is DictOf else value.members)  # type: ignore[attr-defined]
        if str(key) not in pairs or (kind is DictOf and type(key) is not str):
            known = ", ".join(repr(k) for k in list(pairs)[:6])
            raise IndexProblem(f"key {key!r} is not in the dict (keys: {known})")
        return indexed(pairs[str(key)], rest)
    raise IndexProblem(f"cannot take [{key!r}] of {kind.__name__}")


def _taken(found: Any, path: Path) -> Any:
    """Constant data indexed, with the messages the compiler gives for constants."""
    for key in path:
        if isinstance(found, list):
            if type(key) is not int:
                raise IndexProblem(f"a list is indexed by an integer, not {key!r}")
            if not -len(found) <= key < len(found):
                raise IndexProblem(f"index {key} is out of range for a list of {len(found)}")
        elif isinstance(found, dict):
            if key not in found:
                known = ", ".join(repr(k) for k in list(found)[:6])
                raise IndexProblem(f"key {key!r} is not in the dict (keys: {known})")
        else:
            raise IndexProblem(f"cannot index a {type(found).__name__} value")
        found = found[key]
    return found
