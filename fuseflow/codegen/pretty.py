"""Python source laid out as `ruff format --line-length 120` lays it out, for the generators.

A statement is built from three kinds of pieces:

    Text("rt.ref")                              an atom: a name, a literal, an operator
    Group("(", [item, ...], ")", CALL)          brackets around items: call arguments,
                                                a list or dict display, a comprehension
    Seq([Text("yield "), Text("rt.call"), g])   pieces written one after another

`render(piece, indent)` writes it the way black and ruff do for these forms:
a statement that fits in WIDTH columns stays on one line; otherwise it is split
at its last bracket (the right-hand split): the opening bracket ends the line,
the items follow one indent deeper, and the closing bracket stands on a line of
its own. Inside, call arguments stay on one line when they fit there; a display
of two or more items, or arguments that do not fit, go one a line with a
trailing comma, each item laid out the same way in turn. A comprehension keeps
its `for` on the element's line when it fits, else each clause on its own line.

Pieces are built bottom-up by the generators (pyexpr); tests/codegen holds
the layout against ruff itself, on the golden files and on random pieces.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

WIDTH = 120
INDENT = 4

# How a group's items go when it is split (see Group).
CALL = "call"  # arguments: on one line inside the brackets when they fit, else one a line
DEF = "def"  # a function's parameters: as CALL, and a single parameter gets a trailing comma
DISPLAY = "display"  # a list or dict display: one item a line, with a trailing comma
COMPREHENSION = "comprehension"  # the element and its `for` clauses: one line when it fits, else one a line


class Piece:
    """A piece of a statement; `flat` is its text on one line."""

    __slots__ = ("flat", "breaks")

    flat: str
    breaks: bool  # it holds a group that must be split (a comment or a magic trailing comma)


class Text(Piece):
    __slots__ = ()

    def __init__(self, text: str):
        self.flat = text
        self.breaks = False

    def __repr__(self) -> str:
        return f"Text({self.flat!r})"


class Group(Piece):
    """Items in brackets. `magic`: always split, one item a line with a trailing comma (a magic
    trailing comma, which ruff keeps). `comments[i]`, when given, follows item i on its line
    (`# noqa: B006`): such a group is always split too."""

    __slots__ = ("open", "items", "close", "kind", "magic", "comments")

    def __init__(self, open_: str, items: Sequence[Piece], close: str, kind: str = CALL, magic: bool = False,
                 comments: Sequence[str] | None = None):
        self.open = open_
        self.items = tuple(items)
        self.close = close
        self.kind = kind
        self.comments = tuple(comments) if comments and any(comments) else None
        self.magic = magic or self.comments is not None
        separator = " " if kind == COMPREHENSION else ", "
        self.flat = open_ + separator.join(item.flat for item in self.items) + close
        self.breaks = self.magic or any(item.breaks for item in self.items)

    def __repr__(self) -> str:
        return f"Group({self.open!r}, {list(self.items)!r}, {self.close!r}, {self.kind!r})"


class Seq(Piece):
    """Pieces one after another; nested sequences are flattened."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Piece | str]):
        flattened: list[Piece] = []
        for part in parts:
            if isinstance(part, str):
                part = Text(part)
            if type(part) is Seq:
                flattened.extend(part.parts)
            else:
                flattened.append(part)
        self.parts = tuple(flattened)
        self.flat = "".join(part.flat for part in self.parts)
        self.breaks = any(part.breaks for part in self.parts)

    def __repr__(self) -> str:
        return f"Seq({list(self.parts)!r})"


# --- building pieces ---------------------------------------------------------------------


def call(function: str | Piece, arguments: Sequence[Piece], magic: bool = False) -> Piece:
    """`function(arguments...)`."""
    return Seq([function, group("(", arguments, ")", CALL, magic)])


def group(open_: str, items: Sequence[Piece], close: str, kind: str = CALL, magic: bool = False) -> Piece:
    """A group; empty brackets are plain text (nothing to split)."""
    if not items:
        return Text(open_ + close)
    return Group(open_, items, close, kind, magic)


def display(open_: str, items: Sequence[Piece], close: str, magic: bool = False) -> Piece:
    """A list (`[`, `]`) or dict (`{`, `}`) display."""
    return group(open_, items, close, DISPLAY, magic)


def entry(key: str, value: Piece) -> Piece:
    """`key: value` in a dict display, or `key=value` when `key` ends with '='."""
    return Seq([key if key.endswith("=") else key + ": ", value])


# --- layout ------------------------------------------------------------------------------


def render(piece: Piece, indent: int = 0) -> str:
    """The statement `piece` at `indent` columns, as lines (no final newline)."""
    lines = layout(piece, indent, indent, 0)
    return "\n".join([" " * indent + lines[0], *lines[1:]])


def layout(piece: Piece, column: int, indent: int, trail: int) -> list[str]:
    """`piece` written from `column` on, its continuation lines at `indent` (they carry their
    indentation; the first line does not), with `trail` more characters after it."""
    if not piece.breaks and column + len(piece.flat) + trail <= WIDTH:
        return [piece.flat]
    kind = type(piece)
    if kind is Group:
        return group_layout(piece, column, indent, trail)  # type: ignore[arg-type]
    if kind is Seq:
        return seq_layout(piece, column, indent, trail)  # type: ignore[arg-type]
    return [piece.flat]  # an atom too long for the line: ruff leaves it too


def seq_layout(seq: Seq, column: int, indent: int, trail: int) -> list[str]:
    """The right-hand split: at the last group with items (or the one that must split)."""
    parts = seq.parts
    at = _split_point(parts)
    if at is None:
        return [seq.flat]
    head = "".join(part.flat for part in parts[:at])
    tail = "".join(part.flat for part in parts[at + 1:])
    lines = group_layout(parts[at], column + len(head), indent, trail + len(tail))  # type: ignore[arg-type]
    lines[0] = head + lines[0]
    lines[-1] += tail
    return lines


def _split_point(parts: tuple[Piece, ...]) -> int | None:
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].breaks:
            return i
    for i in range(len(parts) - 1, -1, -1):
        if type(parts[i]) is Group:
            return i
    return None


def group_layout(g: Group, column: int, indent: int, trail: int) -> list[str]:
    """The group split: its opening bracket ends the line, the items follow one indent
    deeper, the closing bracket stands at `indent`."""
    inner = indent + INDENT
    pad = " " * inner
    body: list[str] = []
    items = g.items
    if g.kind == COMPREHENSION:
        if not g.breaks and inner + len(g.flat) - len(g.open) - len(g.close) <= WIDTH:
            body = [pad + g.flat[len(g.open):len(g.flat) - len(g.close)]]
        else:
            for item in items:
                body += _indented(layout(item, inner, inner, 0), pad)
    elif len(items) == 1 and not g.magic and g.kind != DEF:
        body = _indented(layout(items[0], inner, inner, 0), pad)
    elif g.kind in (CALL, DEF) and not g.breaks and len(items) > 1 and inner + _joined_width(g) <= WIDTH:
        body = [pad + g.flat[len(g.open):len(g.flat) - len(g.close)]]
    else:
        for i, item in enumerate(items):
            lines = _indented(layout(item, inner, inner, 1), pad)
            lines[-1] += ","
            if g.comments is not None and g.comments[i]:
                lines[-1] += "  " + g.comments[i]
            body += lines
    return [g.open, *body, " " * indent + g.close]


def _joined_width(g: Group) -> int:
    return len(g.flat) - len(g.open) - len(g.close)


def _indented(lines: list[str], pad: str) -> list[str]:
    lines[0] = pad + lines[0]
    return lines


# --- blocks of statements ------------------------------------------------------------------


class Block:
    """Statements at one indentation, and the blocks nested in them (`for`, `def` bodies).

        block = Block(0)
        loop = block.nested(Seq(["for ds in ", Text("datasets"), ":"]))
        loop.add(Seq(["yield ", call("f", [Text("ds")])]))
        text = block.text()
    """

    def __init__(self, indent: int = 0):
        self.indent = indent
        self.lines: list[str] = []

    def add(self, piece: Piece | str) -> None:
        self.lines.append(render(piece if isinstance(piece, Piece) else Text(piece), self.indent))

    def comment(self, text: str) -> None:
        self.lines.append(" " * self.indent + "# " + text)

    def nested(self, header: Piece | str) -> Block:
        """A compound statement (`header` ends with ':'); its body is the returned block."""
        self.add(header)
        inner = Block(self.indent + INDENT)
        self.lines.append(inner)  # type: ignore[arg-type]  # filled in later, joined by text()
        return inner

    def blank(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(line if isinstance(line, str) else line.text() for line in self.lines)
