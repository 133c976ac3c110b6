"""Every comment gets a place in the sequences of tree.py, and blank lines are counted.

The parser ignores comments; lalr.py's scanners note where each one is
(`parse_concrete`). A comment belongs to the innermost sequence whose brackets
hold it, and there to a slot, by where it stands:

    f(  # after the opener: on the opener's line
        # own-line: before the item that follows
        a,  # after an item on its line: that item's
        b,
        # own-line after the last item: before the closer
    )

A comment inside an item but in none of its sequences (`x = # c` before the
value, between a loop's name and `in`) is a stray: it goes to the end of the
item's first line, the nearest place a line ends whatever the layout.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from itertools import pairwise

from .tree import Comment, Item, Seq

IMPORTS = frozenset({"from_import", "import_module", "use_stmt"})  # kept together, apart from what follows


def comments_at(text: str, found: list[tuple[int, int]]) -> list[Comment]:
    """The comments at the (start, end) offsets lalr.py noted, with their lines."""
    starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]
    comments = []
    for start, end in sorted(found):
        line = bisect.bisect_right(starts, start)
        own_line = not text[starts[line - 1]:start].strip()
        comments.append(Comment(text[start:end].rstrip(" \t\r\f\v"), start, line, own_line=own_line))
    return comments


def attach(module: Seq, comments: list[Comment]) -> None:
    """Give every comment its slot, then settle the blank lines."""
    _into_seq(module, comments)
    _blank_lines(module)
    _sections(module)


def _into_seq(seq: Seq, comments: list[Comment]) -> None:
    items = seq.items
    starts = [item.start for item in items]
    inside: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        before = bisect.bisect_right(starts, comment.start)  # the items that start before it
        if before and comment.start < items[before - 1].end:
            inside[before - 1].append(comment)
            continue
        previous_line = items[before - 1].end_line if before else seq.open_line
        if comment.line == previous_line and (before or seq.opener):
            (items[before - 1].trailing if before else seq.open_comments).append(comment)
        elif before < len(items):
            items[before].leading.append(comment)
        else:
            seq.close_comments.append(comment)
    for index, found in inside.items():
        _into_item(items[index], found)


def _into_item(item: Item, comments: list[Comment]) -> None:
    seqs = [part for part in item.parts if isinstance(part, Seq)]
    held: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        where = next((i for i, seq in enumerate(seqs) if seq.inner_start <= comment.start < seq.inner_end), None)
        if where is None:
            where = _next_branch(seqs, comment)
            if where is None:
                item.strays.append(comment)
            elif comment.own_line or held[where]:  # the first thing in the block, in their order
                held[where].append(comment)
            else:
                seqs[where].open_comments.append(comment)
        else:
            held[where].append(comment)
    for index, found in held.items():
        seq = seqs[index]
        _into_seq(seq, found)
        if not seq.closer and seq.items:  # an import's names, a return's: its last item's end is the statement's
            last = seq.items[-1]
            item.trailing.extend(last.strays)
            last.strays = []


def _next_branch(seqs: list[Seq], comment: Comment) -> int | None:
    """Between two blocks of an `if` (after a branch's `}`, about `elif TEST` or `else`):
    the index of the block that follows, where the comment goes. On a line with code it
    ends the `} elif TEST {` line (the block's opener's); on a line of its own it opens the
    block. None elsewhere (a stray)."""
    blocks = [index for index, seq in enumerate(seqs) if seq.always]
    if not blocks or seqs[blocks[0]].inner_start > comment.start:
        return None  # before the first block: the `if` line's
    return next((index for index in blocks if seqs[index].inner_start > comment.start), None)


def _blank_lines(seq: Seq) -> None:
    """Where blank lines are kept (between statements, between option entries): one
    before a statement or an own-line comment that follows a blank line in the
    source; none at the start of the file or of a block, none before its end."""
    if seq.blank_lines:
        last: int | None = None  # the line the previous statement or comment ended on
        for item in seq.items:
            for comment in item.leading:
                comment.blank_before = last is not None and comment.line > last + 1
                last = comment.line
            item.blank_before = last is not None and item.start_line > last + 1
            last = item.end_line
        for comment in seq.close_comments:
            comment.blank_before = last is not None and comment.line > last + 1
            last = comment.line
    for item in seq.items:
        for part in item.parts:
            if isinstance(part, Seq):
                _blank_lines(part)


def _sections(module: Seq) -> None:
    """One blank line after the `workflow` line, and around each run of imports."""
    for previous, item in pairwise(module.items):
        if previous.kind == "workflow_stmt" or (previous.kind in IMPORTS) != (item.kind in IMPORTS):
            if item.leading:
                item.leading[0].blank_before = True
            else:
                item.blank_before = True
