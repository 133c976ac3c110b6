"""Text from a .fuse file as every generated artifact writes it: one function per place.

Generators write the file's path, the workflow's name, strings, keys and
option values only through these, so nothing a user wrote can end a
comment, a string or a docstring and become code::

    comment(text)           one line of a Python or YAML comment
    docstring(text)         text inside a Python \"\"\"docstring\"\"\"
    python_literal(value)   a Python literal of JSON-like data, exact
    yaml_quoted(text)       a double-quoted YAML scalar, exact

    >>> print(comment("a\\rb\\u2028c\\x1b[31m.fuse"))
    a\\rb\\u2028c\\x1b[31m.fuse

A target with more to escape builds on these (KFP breaks its placeholder
marks in what lands in a step's command: fuseflow/targets/kfp/command_text.py).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any


def _visible(char: str) -> str:
    """An unprintable character as Python writes it escaped: \\n, \\x1b, \\u2028, \\U000e0001."""
    return repr(char)[1:-1]


def comment(text: str) -> str:
    """`text` on one line, printable: every line break Python, YAML or an editor
    knows (\\r, \\v, \\f, \\x1c-\\x1e, \\x85, \\u2028, ...) and every other
    unprintable character is written as its escape. Never raises."""
    return "".join(c if c.isprintable() else _visible(c) for c in str(text))


def docstring(text: str) -> str:
    """`comment(text)` as it may stand inside a \"\"\"docstring\"\"\" and read back the same:
    backslashes doubled, quotes escaped."""
    return comment(text).replace("\\", "\\\\").replace('"', '\\"')


def python_literal(value: Any, string: Callable[[str], str] | None = None) -> str:
    """A Python literal for JSON-like data: repr (exact and deterministic for it),
    with strings in double quotes where that needs no escaping (`string`: how a
    target writes its strings, default python_string)."""
    if isinstance(value, str):
        return (string or python_string)(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v, string) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k, string)}: {python_literal(v, string)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError(f"{value!r} is not a .fuse literal")  # repr would not be valid Python
    return repr(value)


def python_string(value: str) -> str:
    """repr of a string (every unprintable character escaped, so the literal is one line).
    A str subclass (CallableRef) is written as its text."""
    text = str.__repr__(value)
    return f'"{text[1:-1]}"' if text[0] == "'" and '"' not in value else text


# --- YAML -------------------------------------------------------------------------------

# Characters YAML does not allow raw in a double-quoted scalar, or reads as line breaks.
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def yaml_quoted(value: str) -> str:
    """A double-quoted YAML string: JSON's escapes (which YAML reads the same),
    plus those YAML needs beyond JSON's."""
    text = json.dumps(value, ensure_ascii=False)
    return _YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
