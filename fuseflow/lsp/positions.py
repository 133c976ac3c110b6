"""fusec's positions and the editor's: one conversion, both ways.

fusec counts 1-based lines split at '\\n' only and 1-based columns in code
points, end exclusive (compiler/span.py). LSP counts 0-based lines and
0-based columns in the code units of the encoding the client and the server
agreed on (UTF-16 unless both said otherwise), so a column after an `é` or
an emoji differs between the two:

    >>> Lines("s = f('😀', x)").position(1, 12).character   # the x: fusec's column 12, 11 code points in
    12
"""
from __future__ import annotations

from lsprotocol import types

from ..compiler.errors import source_lines
from ..compiler.span import Span

UNITS = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}  # codec (no BOM), bytes


class Lines:
    """A text's lines as the parser numbers them, and the positions within them."""

    def __init__(self, text: str, encoding: str = "utf-16"):
        self.lines = source_lines(text)
        self.encoding = encoding if encoding in UNITS else "utf-16"

    def units(self, text: str) -> int:
        """How many code units of the agreed encoding `text` takes."""
        if self.encoding == "utf-32" or text.isascii():
            return len(text)
        codec, size = UNITS[self.encoding]
        return len(text.encode(codec, "surrogatepass")) // size

    def line(self, number: int) -> str:
        """The 1-based line `number`, or "" beyond the text."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def position(self, line: int, col: int) -> types.Position:
        """fusec's (line, column) as an LSP Position, kept within the text."""
        line = min(max(line, 1), len(self.lines))
        text = self.line(line)
        return types.Position(line=line - 1, character=self.units(text[:max(col - 1, 0)]))

    def range(self, span: Span | None) -> types.Range:
        """A span as an LSP Range; no span (a problem of the whole file) is the start of the file."""
        if span is None:
            start = types.Position(line=0, character=0)
            return types.Range(start=start, end=start)
        return types.Range(start=self.position(span.line, span.col), end=self.position(span.end_line, span.end_col))

    def at(self, position: types.Position) -> tuple[int, int]:
        """An LSP Position as fusec's 1-based (line, column)."""
        text = self.line(position.line + 1)
        units = 0
        for index, char in enumerate(text):
            if units >= position.character:
                return position.line + 1, index + 1
            units += self.units(char)
        return position.line + 1, len(text) + 1

    def whole(self) -> types.Range:
        """The range of the whole text (what a formatting edit replaces)."""
        last = len(self.lines)
        return types.Range(start=types.Position(line=0, character=0),
                           end=types.Position(line=last - 1, character=self.units(self.line(last))))
