"""Run-time parameters: typed values from the command line (`-p NAME=VALUE`).

Shared by every generated module and by `fusec`, so a value means the same
thing everywhere. Values use JSON spelling plus the .fuse words `true`,
`false` and `none`; a `str` param takes the text as it is. Numbers are
finite, as in a .fuse file: NaN, Infinity and 1e999 are refused, in a
float param and inside a list or dict alike (docs/running.md); lists and
dicts nest at most MAX_NESTING levels.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ..ir.record import record

_WORDS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None, "null": None}
_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


class ParamError(ValueError):
    """A run's input is wrong: a missing or ill-typed param, an unknown param, an
    option override or `--rerun` regex that selects nothing. Reported before
    anything runs (exit status 2 on the command line)."""


@record
class Param:
    name: str
    type: str
    default: Any = None
    required: bool = True


def parse_text(text: str, type_: str | None) -> Any:
    """The value a command-line text stands for, given the expected type name."""
    if type_ == "str":
        return text
    if text in _WORDS:
        return _WORDS[text]
    try:
        return json.loads(text)
    except ValueError:
        if type_ is None:
            return text
        raise ParamError(f"expected {type_}, got {shortened(repr(text))}") from None


def check_type(name: str, type_: str, value: Any) -> Any:
    """value itself (ints widened to float) or ParamError naming the param."""
    if value is None:
        return None
    if type_ == "float" and type(value) is int:
        return float(value)
    expected = _TYPES[type_]
    if type(value) is not expected:
        raise ParamError(f"param '{name}' expects {type_}, got {type(value).__name__} {shortened(repr(value))}")
    problem = value_problem(value)
    if problem is not None:
        raise ParamError(f"param '{name}' {problem}")
    return value


# Lists and dicts in a value nest at most this deep, in a param as in a .fuse file
# (fuseflow.compiler.limits says why 32: what a KFP step can read back).
MAX_NESTING = 32


def value_problem(value: Any, noun: str = "param values", depth: int = 0) -> str | None:
    """What makes a value from the command line unusable, as it would be in a .fuse file:
    a NaN or an infinity (the run's keys, JSON and KFP have no such number), a lone
    surrogate (text that was not UTF-8: no file, JSON, YAML or KFP can hold it), or
    nesting too deep to walk. `noun` names the values in the message."""
    what = "is" if depth == 0 else "holds"
    if type(value) is float and not math.isfinite(value):
        return f"{what} {value!r}: NaN and infinities are not {noun} (numbers are finite, as in a .fuse file)"
    if type(value) is str:
        found = SURROGATE.search(value)
        return None if found is None else (
            f"{what} {shortened(repr(value))}, whose {found.group()!r} is a lone surrogate (bytes that are not UTF-8): "
            f"{noun} are valid Unicode text, as in a .fuse file")
    if type(value) not in (list, dict):
        return None
    if depth == MAX_NESTING:
        return f"nests lists and dicts more than {MAX_NESTING} levels deep"
    for item in [*value, *value.values()] if type(value) is dict else value:
        problem = value_problem(item, noun, depth + 1)
        if problem is not None:
            return problem
    return None


SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate: what no UTF-8 text, JSON or YAML can hold


def shortened(text: str, width: int = 60) -> str:
    """A text as a message shows it: its start, when it is long."""
    return text if len(text) <= width else text[:width] + f"... ({len(text)} characters)"


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """['a=1', 'b=x'] -> {'a': '1', 'b': 'x'}; ParamError for an item without '='."""
    result: dict[str, str] = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ParamError(f"expected NAME=VALUE, got {item!r}")
        result[name.strip()] = text
    return result


def resolve(params: list[Param], given: Mapping[str, Any], texts: Mapping[str, str] = {}) -> dict[str, Any]:
    """Every param's value: typed values in `given`, command-line texts in `texts`, then defaults."""
    known = {p.name for p in params}
    unknown = sorted((set(given) | set(texts)) - known)
    if unknown:
        raise ParamError(f"unknown param {unknown[0]!r}; this workflow has: {', '.join(sorted(known)) or 'no params'}")
    values: dict[str, Any] = {}
    for p in params:
        try:
            values[p.name] = _value(p, given, texts)
        except RecursionError:  # json's own limit on nesting
            raise ParamError(f"param '{p.name}' nests lists and dicts more than {MAX_NESTING} levels deep") from None
    return values


def _value(p: Param, given: Mapping[str, Any], texts: Mapping[str, str]) -> Any:
    if p.name in texts:
        try:
            raw = parse_text(texts[p.name], p.type)
        except ParamError as exc:
            raise ParamError(f"param '{p.name}': {exc}") from None
        return check_type(p.name, p.type, raw)
    if p.name in given:
        return check_type(p.name, p.type, given[p.name])
    if p.required:
        raise ParamError(f"missing required param '{p.name}' ({p.type}); pass -p {p.name}=VALUE")
    return p.default
