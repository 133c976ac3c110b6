"""Sequences to lines: flat when a sequence fits, exploded one item per line when not.

The rule is black's: an item is written on one line when it fits in
LINE_LENGTH columns and nothing in it must break (a comment, a magic
trailing comma, a block); otherwise its last sequence that may stay flat is
exploded (black's right-hand split), and so on until the line fits or
nothing is left to explode. Exploded, a sequence puts each item on a line of
its own, indented INDENT more, with a comma after each (after the last too,
where the grammar allows one), and its closer on a line of its own.
Trailing comments are not counted in the width.
"""
from __future__ import annotations

from .tree import Comment, Item, Part, Seq

LINE_LENGTH = 100
INDENT = 4


class Line:
    """One line of code, with the comments at its end; those after the first go on
    lines of their own below it, at `overflow` columns."""

    __slots__ = ("indent", "text", "comments", "overflow")

    def __init__(self, indent: int, text: str, comments: list[Comment] | None = None):
        self.indent = indent
        self.text = text
        self.comments = comments if comments is not None else []
        self.overflow = indent

    def written(self) -> list[str]:
        code = " " * self.indent + self.text
        if not self.comments:
            return [code]
        ordered = sorted(self.comments, key=lambda comment: comment.start)
        return [f"{code}  {ordered[0].text}", *(" " * self.overflow + comment.text for comment in ordered[1:])]


def render(module: Seq) -> list[str]:
    """The file's lines, without line breaks."""
    lines: list[str] = []
    for line in _body(module, 0):
        lines.extend([""] if line is None else line.written())
    return lines


def _body(seq: Seq, indent: int, tail: list[Comment] | None = None) -> list[Line | None]:
    """The lines of an exploded sequence's items and comments (None: a blank line);
    `tail`: comments to end its last item's line (its statement's, when it ends one)."""
    lines: list[Line | None] = []
    keep_blank = seq.blank_lines
    for index, item in enumerate(seq.items):
        for comment in item.leading:
            lines.extend(_comment(comment, indent, keep_blank))
        if item.blank_before and keep_blank:
            lines.append(None)
        last = index == len(seq.items) - 1
        lines.extend(_item(item, indent, seq.sep if not last or seq.trailing_sep else "", tail if last else None))
    for comment in seq.close_comments:
        lines.extend(_comment(comment, indent, keep_blank))
    return lines


def _comment(comment: Comment, indent: int, keep_blank: bool) -> list[Line | None]:
    line = Line(indent, comment.text)
    return [None, line] if comment.blank_before and keep_blank else [line]


def _item(item: Item, indent: int, suffix: str, tail: list[Comment] | None = None) -> list[Line | None]:
    """An item's lines. Its strays go at the end of its first line, and its trailing
    comment at the end of its last; on one line, only the last of them stays there,
    and the others go on lines of their own above it, where they are read again."""
    trailing = item.trailing + (tail or [])
    lines, handed = _parts(item.parts, indent, len(suffix), trailing)
    first, last = lines[0], lines[-1]
    assert first is not None and last is not None  # an item starts and ends with code
    last.text += suffix
    if len(lines) > 1:
        first.comments.extend(item.strays)
        if not handed:
            last.comments.extend(trailing)
        return lines
    ordered = sorted(item.strays + trailing, key=lambda comment: comment.start)
    first.comments = ordered[-1:]
    return [*(Line(indent, comment.text) for comment in ordered[:-1]), first]


def _parts(parts: list[Part], indent: int, suffix: int, tail: list[Comment]) -> tuple[list[Line | None], bool]:
    """Text and sequences on lines from `indent`, `suffix` columns kept free at the end;
    and whether the comments of `tail` were handed to the last item of an exploded
    sequence that has no closer (an import's names, a return's), whose line ends the statement."""
    exploded = _exploded(parts, indent, suffix)
    current = Line(indent, "")
    lines: list[Line | None] = [current]
    for part in parts:
        if isinstance(part, str):
            current.text += part
        elif id(part) not in exploded:
            current.text += part.flat()
        else:
            current.text += part.opener
            current.comments.extend(part.open_comments)
            current.overflow = indent + INDENT
            if part.closer:
                lines.extend(_body(part, indent + INDENT))
                current = Line(indent, part.closer)
                lines.append(current)
            else:  # an import's names, a return's: they end their statement
                assert part is parts[-1]
                return [*lines, *_body(part, indent + INDENT, tail)], True
    return lines, False


def _exploded(parts: list[Part], indent: int, suffix: int) -> set[int]:
    """The ids of the sequences of `parts` to explode: those that must, then, while a
    line is too long, the last of its sequences that could stay flat."""
    exploded = {id(part) for part in parts if isinstance(part, Seq) and part.breaks()}
    while True:
        width, changed = indent, False
        flat: list[Seq] = []  # the sequences of the current line that are still flat
        for part in parts:
            if isinstance(part, str):
                width += len(part)
            elif id(part) in exploded:  # the line ends at its opener; the next starts at its closer
                if width + len(part.opener) > LINE_LENGTH and flat:
                    exploded.add(id(flat[-1]))
                    changed = True
                width, flat = indent + len(part.closer), []
            else:
                width += len(part.flat())
                flat.append(part)
        if width + suffix > LINE_LENGTH and flat:
            exploded.add(id(flat[-1]))
            changed = True
        if not changed:
            return exploded
