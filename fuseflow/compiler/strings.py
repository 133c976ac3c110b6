"""String literals of the .fuse language: Python's escapes, decoded by hand.

Python's own decoder warns on an unknown escape such as `\\.` (and will make
it an error one day), yet regexes in `options` blocks are full of them. Here an
unknown escape simply keeps its backslash, as Python has always done, with no
warning; a malformed `\\x`, `\\u`, `\\U` or `\\N{...}` is an error that says so, and
so is a lone surrogate (`\\ud800`), which no target could write (limits.py).
"""
from __future__ import annotations

import re
import unicodedata

from .limits import lone_surrogate, surrogate_problem

SIMPLE = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "0": "\0",
          "a": "\a", "b": "\b", "f": "\f", "v": "\v", "\n": ""}
HEX_LENGTH = {"x": 2, "u": 4, "U": 8}
_ESCAPE = re.compile(r"\\(N\{[^}]*\}|[xuU][0-9A-Fa-f]*|.)", re.DOTALL)


class BadEscape(ValueError):
    """A malformed escape; the message names it."""


def decode(body: str) -> str:
    """The text of a string literal without its quotes -> its value."""
    if "\\" not in body:
        return _without_surrogates(body)
    return _without_surrogates(_ESCAPE.sub(_replace, body))


def _without_surrogates(value: str) -> str:
    """Only text given as a str (not read from a file) holds one as it is: escapes are found first."""
    escape = lone_surrogate(value)
    if escape is not None:
        raise BadEscape(surrogate_problem(escape))
    return value


def _replace(match: re.Match[str]) -> str:
    escape = match.group(1)
    head = escape[0]
    if head in HEX_LENGTH:
        digits, rest = escape[1 : 1 + HEX_LENGTH[head]], escape[1 + HEX_LENGTH[head] :]
        if len(digits) != HEX_LENGTH[head]:
            raise BadEscape(f"\\{head} needs {HEX_LENGTH[head]} hex digits, got {escape[1:]!r}")
        code = int(digits, 16)
        if code > 0x10FFFF:
            raise BadEscape(f"\\{escape[:9]} is beyond the last Unicode character")
        if 0xD800 <= code <= 0xDFFF:
            raise BadEscape(surrogate_problem(f"\\{escape[:1 + HEX_LENGTH[head]]}"))
        return chr(code) + rest
    if head == "N" and len(escape) > 1:
        try:
            return unicodedata.lookup(escape[2:-1])
        except KeyError:
            raise BadEscape(f"unknown Unicode character name {escape[2:-1]!r}") from None
    return SIMPLE.get(escape, "\\" + escape)
