"""What a .fuse file may hold: only what every target can write.

Every value of a file ends up in a generated Python program, in JSON (the IR),
in YAML and in a KFP pipeline spec. A value one of them cannot carry is an
error of the file, at its position, never a target's failure later:

- an integer has at most MAX_INT_DIGITS digits: Python converts longer ones
  between text and int only with sys.set_int_max_str_digits (3.11+), and
  every artifact holds numbers as text;
- a float is finite: JSON has no NaN or Infinity, and repr(inf) is no Python;
- a string holds no lone surrogate (U+D800-U+DFFF): UTF-8 cannot encode it,
  so no artifact can hold it;
- lists, dicts, loops and brackets nest at most MAX_NESTING levels: KFP
  hands a step its values as protobuf messages, which protobuf reads at most
  100 deep, and a dict level costs three of them (Value, Struct, field entry):
  a dict 33 levels deep fails in the step. (A generated Python program spends
  up to two brackets per level, `rt.struct([...])`, and Python's parser stops
  at 200: "too many nested parentheses".)
- a workflow has at most MAX_EXPANSION nodes, and its loops run at most as many
  iterations in all: loops nested a few levels deep multiply beyond any memory.
"""
from __future__ import annotations

import math
from typing import Any

from .. import ir
from ..runtime.params import MAX_NESTING as MAX_NESTING  # exported: one limit for files and the command line
from ..runtime.params import SURROGATE

MAX_INT_DIGITS = 4300  # Python's default limit, sys.int_info.default_max_str_digits
MAX_EXPANSION = 1_000_000  # nodes, and loop iterations in all: the front end takes some 25 s and 1.5 GB there

_CONTAINERS = (list, dict)


def integer(text: str) -> int:
    """An integer literal's value; LimitError when it has too many digits to be written back.

    >>> integer("-42")
    -42
    """
    digits = len(text) - (text[:1] in "+-")
    if digits > MAX_INT_DIGITS:
        raise LimitError(f"an integer has at most {MAX_INT_DIGITS} digits; this one has {digits}",
                         "pass a larger number as a string and convert it in the function")
    return int(text)


def floating(text: str) -> float:
    """A float literal's value; LimitError when it is beyond the largest float.

    >>> floating("1.5e3")
    1500.0
    """
    value = float(text)
    if not math.isfinite(value):
        raise LimitError("a float must be finite; this one is beyond the largest float, about 1.8e308",
                         'write a smaller number, or pass a string such as "inf" and convert it in the function')
    return value


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in `text`, as an escape (`\\ud800`), or None."""
    found = SURROGATE.search(text)
    return None if found is None else f"\\u{ord(found.group()):04x}"


def surrogate_problem(escape: str) -> str:
    return f"{escape} is a lone surrogate, which UTF-8 cannot encode: no target could write it"


def nesting(value: Any) -> int:
    """How deep lists and dicts nest in plain data: 0 for a scalar, 1 for [1, 2], 2 for [[1]]."""
    depth, level = 0, [value]
    while True:
        containers = [v for v in level if type(v) in _CONTAINERS]
        if not containers:
            return depth
        depth += 1
        level = [item for v in containers for item in (v.values() if type(v) is dict else v)]


def argument_nesting(value: ir.Value) -> int:
    """How deep an IR argument value nests: a list, a dict and each loop of a family
    is one level, and a constant in it adds its own."""
    depth, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        inner = ir.children(item)
        if inner:
            stack.extend((v, level + 1) for v in inner)
        elif type(item) in (ir.ListOf, ir.DictOf, ir.Family):  # an empty one
            depth = max(depth, level + 1)
        else:
            depth = max(depth, level + (nesting(item.value) if type(item) is ir.Literal else 0))
    return depth


def too_deep(depth: int | None) -> LimitError:
    """The error for a value `depth` levels deep (None: deeper than could be counted)."""
    levels = f"{depth} levels deep" if depth is not None else "too deep"
    return LimitError(f"this value nests {levels}, beyond the limit of {MAX_NESTING}",
                      f"lists, dicts and loop families nest at most {MAX_NESTING} levels, constants' own included")


class LimitError(ValueError):
    """A value beyond what every target can write: the message says which limit, the hint what to do."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint
