"""Where something is in a .fuse file: every syntax node and every diagnostic carries one.

A module of its own so that reporting an error (errors.py) needs none of the
syntax tree's classes.
"""
from __future__ import annotations

from typing import Any

from ..ir.record import record


@record
class Span:
    """A region of the source: 1-based lines and columns, end column exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    @staticmethod
    def of_token(token: Any) -> Span:
        return Span(token.line, token.column, token.end_line, token.end_column)

    def to(self, other: Span) -> Span:
        """The span from the start of self to the end of other."""
        return Span(self.line, self.col, other.end_line, other.end_col)

    def as_list(self) -> list[int]:
        return [self.line, self.col, self.end_line, self.end_col]
