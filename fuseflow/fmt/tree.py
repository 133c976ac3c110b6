"""The formatter's view of a file: sequences of items, built from the concrete tree.

Every choice the layout makes is about a sequence (`Seq`): the statements of
the file or of a loop's block, the entries of an `options` block, the
arguments of a call, the items of a list or a dict, the entries of an option
body, the names of an import or a `return`, the index of a reference. A
sequence is written flat (`f(a, b)`) or exploded, one item per line. An
`Item` is text and the sequences inside it, in order:

    x = f(a, [1, 2])      Item["x = f", Seq("(", [Item["a"], Item[Seq("[", [Item["1"], Item["2"]], "]")]], ")")]

Each item and sequence keeps where it was in the source (offsets and lines),
so that comments.py can give every comment its place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeAlias

if TYPE_CHECKING:
    from ..compiler.lalr import RawToken

# The fields of a token as lalr.py hands it over.
_TYPE: Final = 0
_VALUE: Final = 1
_START: Final = 2
_LINE: Final = 3
_END_LINE: Final = 5
_END: Final = 7


@dataclass(eq=False)
class Comment:
    text: str  # from '#', without trailing whitespace
    start: int  # offset in the source
    line: int
    blank_before: bool = False  # an own-line comment after a blank line, where blank lines are kept
    own_line: bool = False  # nothing but whitespace before it on its line


@dataclass(eq=False)
class Item:
    """One element of a sequence: a statement, an argument, a list item, ..."""

    parts: list[Part]
    start: int  # offset of its first token
    end: int  # offset after its last token
    start_line: int
    end_line: int
    kind: str = ""  # the statement's rule, for the rules about sections
    leading: list[Comment] = field(default_factory=list)  # own-line comments before it
    trailing: list[Comment] = field(default_factory=list)  # after it on its last line
    strays: list[Comment] = field(default_factory=list)  # inside it, in no sequence of its: on its first line
    blank_before: bool = False
    _flat: str | None = None
    _breaks: bool | None = None

    def flat(self) -> str:
        if self._flat is None:
            self._flat = "".join(part if isinstance(part, str) else part.flat() for part in self.parts)
        return self._flat

    def breaks(self) -> bool:
        """Whether it cannot be written on one line (a sequence in it must be exploded)."""
        if self._breaks is None:
            self._breaks = any(not isinstance(part, str) and part.breaks() for part in self.parts)
        return self._breaks


@dataclass(eq=False)
class Seq:
    opener: str  # "(", "[", "{", "import", "return"; "" for the file
    closer: str  # ")", "]", "}"; "" for an import's names and a return's
    items: list[Item]
    inner_start: int  # offsets between which a comment is this sequence's (or one of its items')
    inner_end: int
    open_line: int  # the opener's line (0 for the file)
    sep: str = ","  # after each item but the last; "" between statements and option entries
    trailing_sep: bool = True  # after the last item too, when exploded
    open_pad: str = ""  # between the opener and the first item when flat
    close_pad: str = ""  # between the last item and the closer when flat
    always: bool = False  # a block: exploded whenever it holds anything
    magic: bool = False  # the source has a trailing comma: it stays exploded (black's "magic trailing comma")
    blank_lines: bool = False  # keeps one blank line between items where the source has some
    open_comments: list[Comment] = field(default_factory=list)  # after the opener on its line
    close_comments: list[Comment] = field(default_factory=list)  # own-line, after the last item
    _flat: str | None = None
    _breaks: bool | None = None

    def flat(self) -> str:
        if self._flat is None:
            if not self.items:
                self._flat = self.opener + self.closer
            else:
                inner = (self.sep + " ").join(item.flat() for item in self.items)
                self._flat = self.opener + self.open_pad + inner + self.close_pad + self.closer
        return self._flat

    def breaks(self) -> bool:
        """Whether it must be exploded: a block with anything in it, a magic trailing
        comma, a comment of its own or of an item, or an item that breaks."""
        if self._breaks is None:
            self._breaks = (
                (self.always and bool(self.items or self.close_comments or self.open_comments))
                or self.magic or bool(self.open_comments or self.close_comments)
                or any(item.leading or item.trailing or item.strays or item.breaks() for item in self.items)
            )
        return self._breaks


Part: TypeAlias = str | Seq  # what an item is made of: text, and the sequences in it


class Tree:
    """A grammar rule with all its children: tokens, trees, None for an absent `[optional]`."""

    __slots__ = ("kind", "children")

    def __init__(self, kind: str, children: list[Any]):
        self.kind = kind
        self.children = children


class TreeBuilder:
    """What lalr.py calls at each reduction: every rule becomes a Tree."""

    def __default__(self, name: str, children: list[Any], meta: object) -> Tree:
        return Tree(name, children)


# --- concrete tree -> sequences ---------------------------------------------------------


def module_seq(tree: Tree, size: int) -> Seq:
    """The file: its statements, with blank lines kept."""
    return Seq("", "", [_statement(stmt) for stmt in tree.children], 0, size, 0, sep="", always=True,
               blank_lines=True)


def _statement(tree: Tree) -> Item:
    item = _item(_STATEMENTS[tree.kind](tree.children), tree)
    item.kind = tree.kind
    return item


def _item(parts: list[Part], node: Tree | RawToken) -> Item:
    first, last = _first(node), _last(node)
    return Item(parts, first[_START], last[_END], first[_LINE], last[_END_LINE])


def _first(node: Tree | RawToken) -> RawToken:
    while isinstance(node, Tree):
        node = next(child for child in node.children if child is not None)
    return node


def _last(node: Tree | RawToken) -> RawToken:
    while isinstance(node, Tree):
        node = next(child for child in reversed(node.children) if child is not None)
    return node


def _text(node: Tree | RawToken) -> str:
    """The tokens of a dotted name, a callee, an import name: as written, without spaces
    (an import name's `as` is spaced)."""
    if isinstance(node, tuple):
        return str(node[_VALUE])
    return "".join(f" {tok[_VALUE]} " if tok[_TYPE] == "AS" else str(tok[_VALUE]) for tok in node.children)


def _bracketed(children: list[Any], make: Any, **options: Any) -> Seq:
    """A sequence between an opening and a closing bracket token, items apart by commas."""
    opener, closer = children[0], children[-1]
    inner = [child for child in children[1:-1] if child is not None]
    items = [make(child) for child in inner if not _is_token(child, "COMMA")]
    magic = bool(inner) and _is_token(inner[-1], "COMMA")
    return Seq(opener[_VALUE], closer[_VALUE], items, opener[_END], closer[_START], opener[_END_LINE], magic=magic,
               **options)


def _listed(keyword: RawToken, elements: list[Any], make: Any) -> Seq:
    """An import's names or a return's: after a keyword, apart by commas, no closer."""
    items = [make(child) for child in elements if not _is_token(child, "COMMA")]
    return Seq(str(keyword[_VALUE]), "", items, keyword[_END], items[-1].end, keyword[_END_LINE],
               trailing_sep=False, open_pad=" ")


def _is_token(node: Any, kind: str) -> bool:
    return isinstance(node, tuple) and node[_TYPE] == kind


# --- statements ---


def _workflow(c: list[Any]) -> list[Part]:
    return [f"workflow {c[1][_VALUE]}"]


def _from_import(c: list[Any]) -> list[Part]:
    names = _listed(c[2], c[3:], lambda name: _item([_text(name)], name))
    return [f"from {_text(c[1])} ", names]


def _import_module(c: list[Any]) -> list[Part]:
    return [f"import {_text(c[1])} as {c[3][_VALUE]}"]


def _use(c: list[Any]) -> list[Part]:
    return [f"use {string(c[1][_VALUE])} as {c[3][_VALUE]}"]


def _param(c: list[Any]) -> list[Part]:
    head = f"param {c[1][_VALUE]}: {c[3][_VALUE]}"
    return [head, " = ", *_value(c[5])] if len(c) > 5 else [head]


def _let(c: list[Any]) -> list[Part]:
    return [f"let {c[1][_VALUE]} = ", *_value(c[3])]


def _assign(c: list[Any]) -> list[Part]:
    return [f"{c[0][_VALUE]} = ", *_value(c[2]), *_after(c[3])]


def _call_stmt(c: list[Any]) -> list[Part]:
    return [*_value(c[0]), *_after(c[1])]


def _after(tree: Tree | None) -> list[Part]:
    """` after x, y`, or nothing: text, never broken (a long line breaks the call's brackets)."""
    if tree is None:
        return []
    return [" after " + ", ".join(str(tok[_VALUE]) for tok in tree.children if _is_token(tok, "NAME"))]


def _for(c: list[Any]) -> list[Part]:
    names = ", ".join(str(tok[_VALUE]) for tok in c[1:-3] if _is_token(tok, "NAME"))
    return [f"for {names} in ", *_value(c[-2]), " ", _block(c[-1])]


def _block(tree: Tree) -> Seq:
    return _bracketed(tree.children, _statement, sep="", always=True, blank_lines=True)


def _if(c: list[Any]) -> list[Part]:
    """`if TEST {` ... `} elif TEST {` ... `} else {` ... `}`: each branch's block is exploded
    like a loop's, the next keyword following its closing brace on the same line."""
    parts: list[Part] = ["if ", *_test(c[1]), " ", _block(c[2])]
    for part in c[3:]:
        if part is None:  # no `else`
            continue
        if part.kind == "elif_part":
            parts += [" elif ", *_test(part.children[1]), " ", _block(part.children[2])]
        else:
            parts += [" else ", _block(part.children[1])]
    return parts


def _finally(c: list[Any]) -> list[Part]:
    return ["finally ", _block(c[-1])]


def _options(c: list[Any]) -> list[Part]:
    head = "options " if c[1] is None else f"options {c[1][_VALUE]} "
    entries = _bracketed(c[2:], _entry, sep="", always=True, blank_lines=True)
    entries.magic = False  # commas between entries are dropped, not kept as a trailing comma
    return [head, entries]


def _entry(tree: Tree) -> Item:
    key, body = tree.children[0], tree.children[2]
    pattern = "workflow" if key[_TYPE] == "WORKFLOW" else string(key[_VALUE])
    items = _bracketed(body.children, lambda item: _item([f"{item.children[0][_VALUE]}: ", *_value(item.children[2])],
                                                         item), open_pad=" ", close_pad=" ")
    return _item([f"{pattern}: ", items], tree)


def _storage(c: list[Any]) -> list[Part]:
    return [f"storage {string(c[1][_VALUE])}"]


def _return(c: list[Any]) -> list[Part]:
    return [_listed(c[0], c[1:], lambda name: _item([str(name[_VALUE])], name))]


_STATEMENTS = {
    "workflow_stmt": _workflow, "from_import": _from_import, "import_module": _import_module, "use_stmt": _use,
    "param_stmt": _param,
    "let_stmt": _let, "assign_stmt": _assign, "call_stmt": _call_stmt, "for_stmt": _for, "if_stmt": _if,
    "finally_stmt": _finally,
    "options_stmt": _options,
    "storage_stmt": _storage, "return_stmt": _return,
}


# --- values ---


def _value(tree: Tree) -> list[Part]:
    return _VALUES[tree.kind](tree.children)


def _literal(c: list[Any]) -> list[Part]:
    token = c[0]
    return [string(token[_VALUE]) if token[_TYPE] == "STRING" else str(token[_VALUE])]


def _reference(c: list[Any]) -> list[Part]:
    """`dm.DATA[0]`: the name and its attributes without spaces, then each index."""
    first = next((i for i, child in enumerate(c) if _is_token(child, "LSQB")), len(c))
    parts: list[Part] = ["".join(str(tok[_VALUE]) for tok in c[:first])]
    for i in range(first, len(c), 3):  # "[" value "]", as many as there are
        parts.append(_bracketed(c[i:i + 3], _value_item, trailing_sep=False))
    return parts


def _list(c: list[Any]) -> list[Part]:
    return [_bracketed(c, _value_item)]


def _dict(c: list[Any]) -> list[Part]:
    return [_bracketed(c, lambda pair: _item([f"{string(pair.children[0][_VALUE])}: ", *_value(pair.children[2])],
                                             pair))]


def _call(c: list[Any]) -> list[Part]:
    return [_text(c[0]), _bracketed(c[1:], _argument)]


def _argument(tree: Tree) -> Item:
    if tree.kind == "keyword_argument":
        return _item([f"{tree.children[0][_VALUE]}=", *_value(tree.children[2])], tree)
    return _value_item(tree.children[0])


def _value_item(tree: Tree) -> Item:
    return _item(_value(tree), tree)


_VALUES = {"literal": _literal, "reference": _reference, "list": _list, "dict": _dict, "call": _call}


# --- the tests of `if` and `elif` ---


def _test(tree: Tree) -> list[Part]:
    """`a >= threshold and not dry`: one space around a comparison's operator and around
    `and` and `or`, `not` and its operand apart by one; parentheses where the source has
    them (they may change the meaning), an exploding sequence of their own."""
    maker = _TESTS.get(tree.kind)
    return maker(tree.children) if maker is not None else _value(tree)


def _operators(c: list[Any]) -> list[Part]:
    """A comparison, an `and` or an `or`: operands and the operators between them."""
    parts: list[Part] = []
    for child in c:
        parts += [f" {child[_VALUE]} "] if isinstance(child, tuple) else _test(child)
    return parts


def _not(c: list[Any]) -> list[Part]:
    return ["not ", *_test(c[1])]


def _parenthesized(c: list[Any]) -> list[Part]:
    return [_bracketed(c, lambda test: _item(_test(test), test), sep="", trailing_sep=False)]


_TESTS = {"or_test": _operators, "and_test": _operators, "comparison": _operators, "not_test": _not,
          "operand": _parenthesized}


# --- strings ---

_ESCAPED_QUOTE = re.compile(r"\\(.)", re.S)


def string(raw: str) -> str:
    """A string literal in double quotes, as black writes them, when that needs no more
    escapes: `'it\\'s'` is `"it's"`; `'say "hi"'` stays as it is. The value is the same:
    the body is kept but for the `\\'` escapes, which become the `'` they stand for."""
    if raw[0] != "'" or '"' in raw:
        return raw
    body = _ESCAPED_QUOTE.sub(lambda m: "'" if m.group(1) == "'" else m.group(0), raw[1:-1])
    return f'"{body}"'
