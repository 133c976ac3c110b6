"""Text that lands in a KFP step's command: the embedded program and the shell line
that installs packages.

KFP substitutes its placeholders there, so the marks it looks for (`{{`,
`/kfp-workspace`; see values.py) are broken with that text's own escapes, on
top of fuseflow.codegen.escape (one printable line, exact literals).
"""
from __future__ import annotations

import shlex
from typing import Any

from ...codegen import escape
from .values import break_marks, has_mark


def _hex_escape(char: str) -> str:
    return f"\\x{ord(char):02x}"


def comment(text: str) -> str:
    """escape.comment, with no placeholder mark left."""
    return break_marks(escape.comment(text), _hex_escape)


def python_string(value: str) -> str:
    """escape.python_string, with no placeholder mark left: `{` and `/` are never part
    of an escape sequence in a repr, so a mark is escaped in place (`\\x7b{`)."""
    text = escape.python_string(value)
    return break_marks(text, _hex_escape) if has_mark(text) else text


def python_literal(value: Any) -> str:
    """escape.python_literal, its strings written by python_string above."""
    return escape.python_literal(value, python_string)


def shell_word(value: str) -> str:
    """One word of a `sh` command line, exact, with no placeholder mark in its text:
    inside single quotes a mark is split by closing and reopening them (`{''{`)."""
    if not has_mark(value):
        return shlex.quote(value)
    quoted = "'" + value.replace("'", "'\"'\"'") + "'"
    return break_marks(quoted, lambda char: char + "''")
