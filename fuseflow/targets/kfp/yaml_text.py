"""A small deterministic YAML emitter for plain data (dicts, lists, str, int, float, bool, None).

The KFP target builds the pipeline spec as plain data and writes it here, so
the output depends only on the data: mapping keys sorted (as kfp's own
compiler writes them), short collections on one line in flow style, code in
literal blocks, every other string plain when YAML 1.1 (PyYAML, which kfp
loads with) reads it back as the same string, else double-quoted::

    >>> print(dump({"b": [1, 2], "a": {"name": "comp-add"}}), end="")
    a: {name: comp-add}
    b: [1, 2]
"""
from __future__ import annotations

import re
from typing import Any

from ...codegen.escape import yaml_quoted

WIDTH = 100
_SIMPLE_KEY = 1000  # PyYAML reads an implicit key only when its ':' is within 1024 characters

# Words YAML 1.1 reads as booleans or null, in any case.
_SPECIAL_WORDS = frozenset("y n yes no on off true false null ~".split())
# Plain in block context: starts with a letter, '_' or '/', no ': ', no ' #', no trailing space.
_PLAIN_BLOCK = re.compile(r"[A-Za-z_/][A-Za-z0-9_./\-@+=()$ :]*")
# Plain in flow context: no ':' either, and none of ',[]{}'.
_PLAIN_FLOW = re.compile(r"[A-Za-z_/][A-Za-z0-9_./\-@+=()$ ]*")
_BLOCK_SAFE = re.compile("[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff\r]*")


def dump(data: dict, width: int = WIDTH) -> str:
    """One YAML document (without `---`) for a mapping."""
    out: list[str] = []
    _mapping_lines(data, 0, out, width)
    return "".join(out)


def scalar(value: Any, flow: bool = False) -> str:
    """A scalar as YAML text on one line (strings may come back double-quoted)."""
    if type(value) is str:
        cache = _FLOW_STRINGS if flow else _BLOCK_STRINGS
        text = cache.get(value)
        if text is None:
            text = _string(value, flow)
            if len(cache) < _CACHE_SIZE:
                cache[value] = text
        return text
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value, flow)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as YAML")


# Strings repeat a lot in a pipeline spec (input names, output keys): remember how each is written.
_BLOCK_STRINGS: dict[str, str] = {}
_FLOW_STRINGS: dict[str, str] = {}
_CACHE_SIZE = 100_000


def _float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} has no place in a pipeline spec")
    text = repr(value)
    if "." not in text and "e" in text:  # PyYAML reads 1e+300 as a string: write 1.0e+300
        text = text.replace("e", ".0e", 1)
    return text


def _string(value: str, flow: bool) -> str:
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    if (pattern.fullmatch(value) and not value.endswith((" ", ":")) and ": " not in value
            and " #" not in value and value.lower() not in _SPECIAL_WORDS):
        return value
    return yaml_quoted(value)


def _flow(value: Any, budget: int) -> str | None:
    """The value on one line in flow style, or None when it is longer than `budget`
    or cannot be written on one line. Stops early on long values."""
    kind = type(value)
    if kind is dict:
        if len(value) * 6 > budget:  # each item takes at least "k: v, "
            return None
        parts, used = [], 2
        for key in sorted(value):
            item = _flow(value[key], budget - used)
            if item is None:
                return None
            part = f"{scalar(key, True)}: {item}"
            used += len(part) + 2
            if used > budget:
                return None
            parts.append(part)
        return "{" + ", ".join(parts) + "}"
    if kind is list:
        if len(value) * 3 > budget:
            return None
        parts, used = [], 2
        for element in value:
            item = _flow(element, budget - used)
            if item is None:
                return None
            used += len(item) + 2
            if used > budget:
                return None
            parts.append(item)
        return "[" + ", ".join(parts) + "]"
    if kind is str and (len(value) > budget or "\n" in value):
        return None
    text = scalar(value, True)
    return text if len(text) <= budget else None


def _mapping_lines(data: dict, indent: int, out: list[str], width: int) -> None:
    pad = " " * indent
    for key in sorted(data):
        _value_after(_key(pad, pad, key, out), data[key], indent, out, width)


def _key(lead: str, pad: str, key: Any, out: list[str]) -> str:
    """The head `lead key:`; for a key too long for PyYAML's simple keys (1024
    characters), the explicit form: `lead? key` on a line of its own, then `pad:`."""
    text = scalar(key)
    if len(text) < _SIMPLE_KEY:
        return f"{lead}{text}:"
    out.append(f"{lead}? {text}\n")
    return f"{pad}:"


def _value_after(head: str, value: Any, indent: int, out: list[str], width: int) -> None:
    """`head` (a key and colon, or a list dash) followed by the value, inline or below."""
    if isinstance(value, (dict, list)):
        flat = _flow(value, width - len(head) - 1) if value else ("{}" if isinstance(value, dict) else "[]")
        if flat is not None:
            out.append(f"{head} {flat}\n")
        elif isinstance(value, dict):
            out.append(head + "\n")
            _mapping_lines(value, indent + 2, out, width)
        else:
            out.append(head + "\n")
            _list_lines(value, indent + 2, out, width)
    elif isinstance(value, str) and "\n" in value:
        _block(head, value, indent, out)
    else:
        out.append(f"{head} {scalar(value)}\n")


def _list_lines(items: list, indent: int, out: list[str], width: int) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item and _flow(item, width - indent - 2) is None:
            keys = sorted(item)
            first = keys[0]
            _value_after(_key(f"{pad}- ", pad + "  ", first, out), item[first], indent + 2, out, width)
            _mapping_lines({k: item[k] for k in keys[1:]}, indent + 2, out, width)
        else:
            _value_after(f"{pad}-", item, indent, out, width)


def _block(head: str, value: str, indent: int, out: list[str]) -> None:
    """A literal block scalar (`|`), exact for the text, or a quoted string when
    no block can carry it (control characters, whitespace-only lines, nothing
    but line breaks)."""
    lines = value.split("\n")
    blank = not value.strip("\n")  # only line breaks: a block of empty lines would read back as ''
    if blank or not _BLOCK_SAFE.fullmatch(value) or any(line.strip(" \t") == "" and line for line in lines):
        out.append(f"{head} {yaml_quoted(value)}\n")
        return
    trailing = _trailing(value)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    content = value[: len(value) - trailing] if trailing else value
    rows = content.split("\n")
    first = next((row for row in rows if row), "")
    indicator = "2" if first[:1] in (" ", "\t") else ""
    pad = " " * (indent + 2)
    out.append(f"{head} |{indicator}{chomp}\n")
    out.extend(f"{pad}{row}\n" if row else "\n" for row in rows)
    out.extend("\n" for _ in range(trailing - 1))


def _trailing(value: str) -> int:
    return len(value) - len(value.rstrip("\n"))
