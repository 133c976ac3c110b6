"""Text from a .fuse file as every generated artifact writes it: one function per place.

Generators write the file's path, the workflow's name, strings, keys and
option values only through these, so nothing a user wrote can end a
comment, a string or a docstring and become code::

    comment(text)           one line of a Python or YAML comment
    docstring(text)         text inside a Python \"\"\"docstring\"\"\"
    python_literal(value)   a Python literal of JSON-like data, exact
    yaml_quoted(text)       a double-quoted YAML scalar, exact
    shell_word(text)        one word of a `sh` command line, exact

    >>> print(comment("a\\rb\\u2028c\\x1b[31m.fuse"))
    a\\rb\\u2028c\\x1b[31m.fuse

`command=True` is for text that lands in a KFP step's command (the embedded
program and the shell line that installs packages): KFP substitutes its
placeholders there, so the marks it looks for (`{{`, `/kfp-workspace`, see
fuseflow.runtime.kfp_values) are broken with that text's own escapes.
"""
from __future__ import annotations

import json
import re
import shlex
from typing import Any

from ...runtime.kfp_values import break_marks, has_mark


def _visible(char: str) -> str:
    """An unprintable character as Python writes it escaped: \\n, \\x1b, \\u2028, \\U000e0001."""
    return repr(char)[1:-1]


def comment(text: str, command: bool = False) -> str:
    """`text` on one line, printable: every line break Python, YAML or an editor
    knows (\\r, \\v, \\f, \\x1c-\\x1e, \\x85, \\u2028, ...) and every other
    unprintable character is written as its escape. Never raises."""
    line = "".join(c if c.isprintable() else _visible(c) for c in str(text))
    return break_marks(line, _hex_escape) if command else line


def docstring(text: str) -> str:
    """`comment(text)` as it may stand inside a \"\"\"docstring\"\"\" and read back the same:
    backslashes doubled, quotes escaped."""
    return comment(text).replace("\\", "\\\\").replace('"', '\\"')


def _hex_escape(char: str) -> str:
    return f"\\x{ord(char):02x}"


def python_literal(value: Any, command: bool = False) -> str:
    """A Python literal for JSON-like data: repr (exact and deterministic for it),
    with strings in double quotes where that needs no escaping."""
    if isinstance(value, str):
        return python_string(value, command)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v, command) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k, command)}: {python_literal(v, command)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError(f"{value!r} is not a .fuse literal")  # repr would not be valid Python
    return repr(value)


def python_string(value: str, command: bool = False) -> str:
    """repr of a string (every unprintable character escaped, so the literal is one line).
    A str subclass (CallableRef) is written as its text."""
    text = str.__repr__(value)
    if text[0] == "'" and '"' not in value:
        text = f'"{text[1:-1]}"'
    # `{` and `/` are never part of an escape sequence in a repr, so a mark is escaped in place.
    return break_marks(text, _hex_escape) if command and has_mark(text) else text


# --- YAML -------------------------------------------------------------------------------

# Characters YAML does not allow raw in a double-quoted scalar, or reads as line breaks.
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def yaml_quoted(value: str) -> str:
    """A double-quoted YAML string: JSON's escapes (which YAML reads the same),
    plus those YAML needs beyond JSON's."""
    text = json.dumps(value, ensure_ascii=False)
    return _YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- shell ----------------------------------------------------------------------------


def shell_word(value: str) -> str:
    """One word of a `sh` command line, exact, with no placeholder mark in its text:
    inside single quotes a mark is split by closing and reopening them (`{''{`)."""
    if not has_mark(value):
        return shlex.quote(value)
    quoted = "'" + value.replace("'", "'\"'\"'") + "'"
    return break_marks(quoted, lambda char: char + "''")
