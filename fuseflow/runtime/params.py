"""Run-time parameters: typed values from the command line (`-p NAME=VALUE`).

Shared by every generated module and by `fusec`, so a value means the same
thing everywhere. Values use JSON spelling plus the .fuse words `true`,
`false` and `none`; a `str` param takes the text as it is.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

_WORDS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None, "null": None}
_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


class ParamError(ValueError):
    """A run's input is wrong: a missing or ill-typed param, an unknown param, an
    option override or `--rerun` regex that selects nothing. Reported before
    anything runs (exit status 2 on the command line)."""


@dataclass(frozen=True)
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
        raise ParamError(f"expected {type_}, got {text!r}") from None


def check_type(name: str, type_: str, value: Any) -> Any:
    """value itself (ints widened to float) or ParamError naming the param."""
    if value is None:
        return None
    if type_ == "float" and type(value) is int:
        return float(value)
    expected = _TYPES[type_]
    if type(value) is not expected:
        raise ParamError(f"param '{name}' expects {type_}, got {type(value).__name__} {value!r}")
    return value


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
        if p.name in texts:
            try:
                raw = parse_text(texts[p.name], p.type)
            except ParamError as exc:
                raise ParamError(f"param '{p.name}': {exc}") from None
            values[p.name] = check_type(p.name, p.type, raw)
        elif p.name in given:
            values[p.name] = check_type(p.name, p.type, given[p.name])
        elif p.required:
            raise ParamError(f"missing required param '{p.name}' ({p.type}); pass -p {p.name}=VALUE")
        else:
            values[p.name] = p.default
    return values
