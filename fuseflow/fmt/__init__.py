"""`fusec fmt`: one canonical layout for .fuse files, comments kept (docs/language.md, "Formatting").

    text = format_source(source, "flow.fuse")    # CompileError for a file with syntax errors

The formatter reads the file with the compiler's own parser, with every
token and every comment (tree.py, comments.py), and writes it again
(layout.py): four spaces a block, one statement a line, at most one blank
line where the source has some, black's wrapping at 100 columns. What it
writes means what the source means: the syntax trees of both are compared,
positions aside, before anything is returned (FormatError otherwise, a bug of
the formatter's). Free of the command line, which is in fuseflow/cli.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from ..compiler import nodes as n
from ..compiler.parser import gc_paused, parse, parse_concrete
from .comments import attach, comments_at
from .layout import INDENT, LINE_LENGTH, render
from .tree import TreeBuilder, module_seq

__all__ = ["INDENT", "LINE_LENGTH", "FormatError", "format_source"]

BOM = "\ufeff"


class FormatError(Exception):
    """The formatter failed itself (what it wrote does not mean what the source
    means): a bug in fusec, never the file's fault."""


def format_source(text: str, path: str = "<stdin>") -> str:
    """`text` in the canonical layout. A byte-order mark is dropped; the line
    endings are the first line's (CRLF stays CRLF). CompileError, positioned as
    `fusec check` prints it, for a file the parser refuses."""
    newline = "\r\n" if text.split("\n", 1)[0].endswith("\r") and "\n" in text else "\n"
    source = text.removeprefix(BOM).replace("\r\n", "\n")
    with gc_paused():  # many small objects without cycles, as in the compiler
        before = parse(source, path)  # every syntax error, or the tree to compare with
        found: list[tuple[int, int]] = []
        module = module_seq(parse_concrete(source, TreeBuilder(), found), len(source))
        attach(module, comments_at(source, found))
        lines = render(module)
        result = "\n".join(lines) + "\n" if lines else ""
        _check_same(before, result, path)
    return result.replace("\n", newline) if newline != "\n" else result


def _check_same(before: n.Module, result: str, path: str) -> None:
    try:
        after = parse(result, path)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the formatter wrote something wrong
        raise FormatError(f"the formatted text of {path} does not parse: {exc}") from exc
    if _shape(before) != _shape(after):
        raise FormatError(f"the formatted text of {path} does not mean what the source means")


def _shape(node: Any) -> Any:
    """A syntax tree without its positions, literals with their types (1, 1.0 and true differ)."""
    names = _FIELDS.get(type(node))
    if names is None and is_dataclass(node):
        names = _FIELDS[type(node)] = tuple(f.name for f in fields(node) if f.name != "span"
                                             and not f.name.endswith("_span"))
    if names is not None:
        return (type(node).__name__, *[_shape(getattr(node, name)) for name in names])
    if type(node) is tuple:
        return tuple(map(_shape, node))
    return (type(node).__name__, repr(node))


_FIELDS: dict[type, tuple[str, ...]] = {}  # a syntax node's class -> its fields but positions
