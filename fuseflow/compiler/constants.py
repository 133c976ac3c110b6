"""Compile-time values: literals, `let` constants, loop variables, `-D` overrides.

These are the values `for` loops iterate over and options are made of; they
never depend on a run.
"""
from __future__ import annotations

from typing import Any

# loop_key lives in the IR, so that generated code computes node names with the compiler's own function.
from ..ir.loops import loop_key as loop_key
from ..ir.values import holds
from ..schemas import CallableRef
from . import nodes as n

PARAM_TYPES = ("int", "float", "str", "bool", "list", "dict")


class NotConstant(Exception):
    """The expression depends on a run (a param or a node), or is a call."""

    def __init__(self, expr: n.Expr, reason: str, reported: bool = False):
        super().__init__(reason)
        self.expr = expr
        self.reason = reason
        self.reported = reported  # True when the cause (an undefined name) is already an error


class BadConstant(Exception):
    """A constant expression without a value: a wrong index, a value nested too deep."""

    def __init__(self, span: n.Span, message: str, hint: str = ""):
        super().__init__(message)
        self.span = span
        self.message = message
        self.hint = hint


def type_name(value: Any) -> str:
    """How a value's type is named in messages: the .fuse spelling."""
    if value is None:
        return "none"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(
        type(value), type(value).__name__
    )


def conform(type_: str, value: Any) -> tuple[bool, Any]:
    """Whether `value` fits a param type; ints widen to float. `none` fits every type."""
    if value is None:
        return True, None
    if type_ == "float" and type(value) is int:
        try:
            return True, float(value)
        except OverflowError:
            return False, value
    return type_name(value) == type_, value


def mismatch(type_: str, value: Any) -> str:
    """What a value that does not fit `type_` is, in messages: its type, or why an int is no float."""
    if type_ == "float" and type(value) is int:
        return "an integer too large for a float"
    return type_name(value)


def index_value(value: Any, key: Any, span: n.Span) -> Any:
    """value[key] at compile time, with messages instead of Python exceptions."""
    if isinstance(value, list):
        if type(key) is not int:
            raise BadConstant(span, f"a list is indexed by an integer, not {type_name(key)} {key!r}")
        if not -len(value) <= key < len(value):
            raise BadConstant(span, f"index {key} is out of range for a list of {len(value)}")
        return value[key]
    if isinstance(value, dict):
        if type(key) is not str:
            raise BadConstant(span, f"a dict is indexed by a string, not {type_name(key)} {key!r}")
        if key not in value:
            known = ", ".join(repr(k) for k in list(value)[:6])
            raise BadConstant(span, f"key {key!r} is not in the dict (keys: {known})")
        return value[key]
    raise BadConstant(span, f"cannot index a {type_name(value)} value")


def holds_import(value: Any) -> bool:
    """Whether a constant holds an imported name (a CallableRef) anywhere."""
    return holds(value, CallableRef)
