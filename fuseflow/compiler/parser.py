"""Source text -> syntax tree (nodes.py), with syntax errors that say what was expected.

lark builds the LALR(1) tables from grammar/fuse.lark, once; lalr.py runs them
with a lean loop that calls the _Builder below at each reduction, so the tree
is built while parsing, without lark's Token objects or generic Tree. Spans
come from the tokens' offsets, which is why the grammar keeps all tokens.
Syntax errors are lark's exceptions, raised where lark's own parser raises them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import math
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from lark import Lark, Token
from lark.common import ParserConf
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.grammar import NonTerminal
from lark.parsers.grammar_analysis import GrammarAnalyzer

from . import limits, strings, tables
from . import nodes as n
from .errors import CompileError, Diagnostic, Diagnostics
from .lalr import LalrParser
from .span import Span

if TYPE_CHECKING:
    from typing import Protocol, TypeAlias

    from .lalr import RawToken

    # `parse(text, diags)`: a file's statements, or a lark UnexpectedInput at its first syntax error.
    _Parse: TypeAlias = Callable[[str, Diagnostics], list[n.Stmt]]
    # What a rule's method gets, as lalr.py hands it over (see "tree building" below):
    # what each position holds (a token, a node, None) is fixed by the grammar rule.
    _Children: TypeAlias = list[Any]

    class _Spanned(Protocol):
        @property
        def span(self) -> Span: ...

# How a terminal is named in "expected ..." messages.
TERMINAL_WORDS = {
    "NAME": "a name",
    "WORD": "a name",
    "STRING": "a string",
    "INT": "an integer",
    "FLOAT": "a number",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NONE": "'none'",
    "WORKFLOW": "'workflow'",
    "COMPARE": "a comparison (== != < <= > >=)",
    "$END": "end of file",
}
MAX_SYNTAX_ERRORS = 20
# Where an operator is written outside the test of an `if`, the only place operators exist.
OPERATORS_HINT = "operators exist only in the tests of `if` and `elif`; a function does the arithmetic"
_OPERATOR_CHARACTERS = "+-*/%<>=!&|^~@"


def parse(source: str, path: str = "<string>") -> n.Module:
    """Parse a whole file; raise CompileError listing every syntax error found."""
    diags = Diagnostics()
    _check_nesting(source, diags)
    with gc_paused():
        statements = _parse_recovering(source, diags, lambda text, into: _parser().parse(text, _Builder(into)))
    if diags.errors:
        raise CompileError(path, source, diags.items)
    return n.Module(path=path, statements=tuple(statements))


def parse_concrete(source: str, builder: object, comments: list[tuple[int, int]]) -> Any:
    """The formatter's parse: `builder` gets every rule with all its tokens (lalr.py's
    shapes), and `comments` the (start, end) offsets of every comment. lark's
    UnexpectedInput at the first syntax error: `parse` is the one that reports them."""
    with gc_paused():
        return _parser().parse(source, builder, comments)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a tree of many small objects is built.

    The tree has no cycles, yet a growing tree triggers several collections of
    the oldest generation, each walking all of it: with the collector running,
    100,000 nodes took twice as long through the front end. Collection resumes
    afterwards (if it was on), and the new objects are walked once, as young ones."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_recovering(source: str, diags: Diagnostics, parse: _Parse) -> list[n.Stmt]:
    """Report a syntax error, blank its line and parse again, so one run shows them all.
    `parse(text, diags)` is lalr.py's parser here, lark's own in tests.

    Each parse must stop past the line blanked and past where the one before
    stopped; an error before that is the blanking's doing, or the same mistake
    again, and is not reported. Recovery ends there, at the end of the file, at
    a line that cannot be blanked, and after MAX_SYNTAX_ERRORS errors."""
    text, last = source, 0
    checked: tuple[float, float] = (0, 0)
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            return parse(text, diags)
        except UnexpectedInput as exc:
            stop = _stop(exc)
            if stop <= checked:  # the blanking's doing: `x = f(k=` / `  @)` leaves `f(k= )`
                widened = _blank_statement(text, last)  # so its whole statement goes, unreported
                if widened is None or widened == text:
                    return []
                text = widened
                continue
            diag = _never_closed(exc, text) or _describe(exc, text, parse)
            diags.items.append(diag)
            assert diag.span is not None  # a syntax error is always somewhere
            blanked = None if stop == _END_OF_FILE else _blank_line(text, diag.span.line)
            if blanked is None:
                return []
            last = diag.span.line
            text, checked = blanked, max(stop, (last, math.inf))
    return []


_END_OF_FILE = (math.inf, 0)


def _stop(exc: UnexpectedInput) -> tuple[float, float]:
    """Where the parser stopped, (line, column); the end of the file comes after every line."""
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return _END_OF_FILE
    return (exc.line, exc.column)


def _blank_line(text: str, line: int) -> str | None:
    """`text` with `line` blanked; None when that would only make false errors: a
    line that opens a block would leave the block's body and its '}' behind.

    The brackets on the line that close what earlier lines opened stay, in place:
    blanking `  2))` after `x = f(1,` must not leave f's '(' open. A line that
    opens brackets closed on later lines takes those lines with it: blanking
    `x = f(1 2,` alone would leave `  3)` as a second, false error."""
    start = _line_start(text, line)
    end = _line_end(text, start)
    inner, kept = _brackets_of(text, start, end)
    if "{" in inner:
        return None
    closed = _closing(text, inner, end) if inner else None
    if closed is not None:  # the lines up to where they close go too (if they never do, the line alone)
        end = _line_end(text, closed)
        _, kept = _brackets_of(text, start, end)
    return text[:start] + _blanked(text, start, end, kept) + text[end:]


def _closing(text: str, opened: list[str], start: int) -> int | None:
    """The offset in `text`, from `start`, where the brackets `opened` (innermost last) are all closed."""
    stack = list(opened)
    for m in _BRACKET.finditer(text, start):
        char = m.group()
        if char in _CLOSERS:
            stack.append(char)
        elif stack and char == _CLOSERS[stack[-1]][0]:
            stack.pop()
            if not stack:
                return m.start()
    return None


def _brackets_of(text: str, start: int, end: int) -> tuple[list[str], set[int]]:
    """(brackets text[start:end] leaves open, offsets of those in it that close earlier lines' ones)."""
    outer = [text[i] for i in _open_brackets(text, start)]
    inner: list[str] = []
    kept: set[int] = set()
    for m in _BRACKET.finditer(text, start, end):
        char = m.group()
        if char in _CLOSERS:
            inner.append(char)
        elif inner:
            if char == _CLOSERS[inner[-1]][0]:
                inner.pop()
        elif outer and char == _CLOSERS[outer[-1]][0]:
            outer.pop()
            kept.add(m.start())
    return inner, kept


def _blank_statement(text: str, line: int) -> str | None:
    """`text` with the whole bracketed statement that `line` continues blanked, from
    the line that opened its brackets to the line that closes them; None when
    `line` is not inside '(' or '[', or the statement would not go whole."""
    opened = _open_brackets(text, _line_start(text, line))
    run = len(opened)
    while run and text[opened[run - 1]] in "([":
        run -= 1
    if run == len(opened):
        return None
    start = text.rfind("\n", 0, opened[run]) + 1
    closed = _closing(text, [text[opened[run]]], opened[run] + 1)
    if closed is None:
        return None
    end = _line_end(text, closed)
    if _open_brackets(text, start) != opened[:run] or _open_brackets(text, end) != opened[:run]:
        return None  # the lines close or open brackets of the code around them
    return text[:start] + _blanked(text, start, end, set()) + text[end:]


def _blanked(text: str, start: int, end: int, kept: set[int]) -> str:
    """text[start:end] as spaces, but for its line breaks and the characters at `kept`."""
    return "".join(text[i] if i in kept or text[i] == "\n" else " " for i in range(start, end))


def _line_start(text: str, line: int) -> int:
    return sum(len(before) + 1 for before in text.split("\n")[: line - 1])


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _open_brackets(text: str, end: int) -> list[int]:
    """The offsets of the brackets that text[:end] leaves open, outermost first."""
    opened: list[int] = []
    for m in _BRACKET.finditer(text, 0, end):
        char = m.group()
        if char in _CLOSERS:
            opened.append(m.start())
        elif opened and char == _CLOSERS[text[opened[-1]]][0]:
            opened.pop()
    return opened


def _check_nesting(text: str, diags: Diagnostics) -> None:
    """An error at the first bracket beyond limits.MAX_NESTING of each outermost
    bracket (a loop's '{' counts, as do a call's '(' and a list's '['), so that no
    pass and no generator ever meets a deeper tree."""
    if not _deeper_than(text, limits.MAX_NESTING):
        return
    opened: list[str] = []
    reported = False
    for m in _BRACKET.finditer(text):
        char = m.group()
        if char in _CLOSERS:
            opened.append(char)
            if len(opened) == limits.MAX_NESTING + 1 and not reported:
                diags.error(_offset_span(text, m.start(), 1), f"this bracket nests {len(opened)} levels deep, beyond "
                            f"the limit of {limits.MAX_NESTING}", "brackets nest at most "
                            f"{limits.MAX_NESTING} levels, a loop's included: flatten the data or the loops")
                reported = True
        elif opened and char == _CLOSERS[opened[-1]][0]:
            opened.pop()
            reported = reported and bool(opened)


def _deeper_than(text: str, limit: int) -> bool:
    """Whether brackets nest deeper than `limit` in `text`, quickly: each pass removes
    the innermost pairs, so a pair is left for pass limit + 1 only beyond it."""
    brackets = _NOT_BRACKET.sub("", text)
    for _ in range(limit):
        brackets, removed = _PAIR.subn("", brackets)
        if not removed:
            return False
    return _PAIR.search(brackets) is not None


# --- syntax error messages -----------------------------------------------------


def _describe(exc: UnexpectedInput, text: str, parse: _Parse) -> Diagnostic:
    accepts = _accepts(exc)
    if isinstance(exc, UnexpectedCharacters):
        pos: int = exc.pos_in_stream  # type: ignore[assignment]  # lark declares it None on the base class
        char = text[pos] if pos < len(text) else ""
        span = Span(exc.line, exc.column, exc.line, exc.column + 1)
        if char and char in "\"'":  # a string ends on its line: what the parser expected misleads here
            return Diagnostic("error", "syntax error: an unterminated string", span,
                              f"close it with {char} before the end of the line")
        if char and char in _OPERATOR_CHARACTERS:
            return Diagnostic("error", f"syntax error: unexpected character {char!r}", span,
                              _with_operators(_expected(accepts)))
        return Diagnostic("error", f"syntax error: unexpected character {char!r}", span, _expected(accepts))
    assert isinstance(exc, (UnexpectedToken, UnexpectedEOF))  # lark's other two
    if isinstance(exc, UnexpectedToken) and _an_operator(exc.token, text):  # `x = a == b`, `f(a) and g(b)`
        return Diagnostic("error", f"syntax error: unexpected {_token_words(exc.token)}", Span.of_token(exc.token),
                          _with_operators(_expected(accepts)))
    keyword = _keyword_before(exc, text, parse)
    if keyword is not None:
        return _keyword_as_name(*keyword)
    if _stop(exc) == _END_OF_FILE:
        return _end_of_file(text, accepts)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = _expected(accepts)
    previous_end = _end_of_previous_line(text, token.line)
    starts_line = not text[: token.start_pos].rsplit("\n", 1)[-1].strip()
    if previous_end is not None and starts_line and not _grammar().statement_starts <= accepts:
        # A line starts where the statement before it cannot end: that statement is unfinished.
        return Diagnostic("error", "syntax error: unfinished statement", previous_end, expected)
    if token.type in _grammar().keywords and "NAME" in accepts:
        return _keyword_as_name(Span.of_token(token), str(token))  # `s = for(1)`
    return Diagnostic("error", f"syntax error: unexpected {_token_words(token)}", Span.of_token(token), expected)


def _with_operators(expected: str) -> str:
    return f"{expected} ({OPERATORS_HINT})" if expected else OPERATORS_HINT


def _an_operator(token: Token, text: str) -> bool:
    """Whether the parser stopped at an operator: a comparison, `and`, `or`, `not`, or the second
    '=' of `f(a == b)` (the first one taken for a keyword argument's)."""
    start = token.start_pos or 0
    doubled = str(token) == "=" and text[start - 1:start] == "="
    return token.type == "COMPARE" or doubled or str(token) in ("and", "or", "not")


def _keyword_as_name(span: Span, word: str) -> Diagnostic:
    return Diagnostic("error", f"{word!r} is a keyword and cannot be used as a name", span, "choose another name")


def _keyword_before(exc: UnexpectedToken | UnexpectedEOF, text: str, parse: _Parse) -> tuple[Span, str] | None:
    """A keyword meant as a name right before where the parser stopped: the parser took
    it for the keyword (`options = f()` stops at '=', `from m import let` at the end),
    and it goes further with the word made a name."""
    stop = _stop(exc)
    end = len(text[: len(text) if stop == _END_OF_FILE else exc.token.start_pos].rstrip())
    start = end
    while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    word = text[start:end]
    if word not in _grammar().keyword_words:
        return None
    try:
        parse(text[:start] + "_" * len(word) + text[end:], Diagnostics())
    except UnexpectedInput as renamed:
        if _stop(renamed) <= stop:
            return None
    return _offset_span(text, start, len(word)), word


def _end_of_previous_line(text: str, line: int) -> Span | None:
    """Where the last code before `line` ends, skipping blank lines and comments."""
    lines = text.split("\n")
    for number in range(line - 1, 0, -1):
        found = _CODE.match(lines[number - 1])
        assert found is not None  # it matches the empty string
        code = found.group(0).rstrip()
        if code:
            return Span(number, len(code) + 1, number, len(code) + 2)
    return None


def _never_closed(exc: UnexpectedInput, text: str) -> Diagnostic | None:
    """The error when a '(' or '[' of an earlier line is never closed and the lines
    after it were read as its arguments (`x = f(a,` then `y = g(b)`, a keyword
    argument), so the parser stops further on. That bracket is the mistake; blanking
    its line, not the one the parser stopped on (then the next, and so on: twenty
    false errors and as many parses), lets the rest of the file be checked."""
    if not isinstance(exc, (UnexpectedToken, UnexpectedCharacters)) or _stop(exc) == _END_OF_FILE:
        return None
    offset = exc.token.start_pos if isinstance(exc, UnexpectedToken) else exc.pos_in_stream
    if not isinstance(offset, int):
        return None
    line_start = text.rfind("\n", 0, offset) + 1
    starts_line = not text[line_start:offset].strip()
    for bracket in reversed(_open_brackets(text, line_start)):
        if text[bracket] == "{":
            return None  # inside a block: its statements are not a bracket's arguments
        if starts_line and text.count("\n", bracket, line_start) == 1:
            return None  # the line after the bracket's could not continue it: "unfinished statement" says it best
        if _closing(text, [text[bracket]], bracket + 1) is None:
            closer = _CLOSERS[text[bracket]][0]
            return Diagnostic("error", f"syntax error: {text[bracket]!r} is never closed",
                              _offset_span(text, bracket, 1),
                              f"close it with {closer!r}: the lines after it were read as part of it")
    return None


def _end_of_file(text: str, accepts: set[str]) -> Diagnostic:
    """The file ends too soon. When what it leaves open is a bracket that could be
    closed there, that bracket is the mistake: it is pointed at, wherever it is."""
    opened = _open_brackets(text, len(text))
    bracket = opened[-1] if opened else None
    if bracket is not None and _CLOSERS[text[bracket]][1] in accepts:
        closer = _CLOSERS[text[bracket]][0]
        return Diagnostic("error", f"syntax error: {text[bracket]!r} is never closed", _offset_span(text, bracket, 1),
                          f"expected {closer!r} before the end of the file")
    return Diagnostic("error", "syntax error: unexpected end of file", _end_of_text(text), _expected(accepts))


def _offset_span(text: str, offset: int, length: int) -> Span:
    line = text.count("\n", 0, offset) + 1
    col = offset - text.rfind("\n", 0, offset)
    return Span(line, col, line, col + length)


# An opening bracket: its closing one, and the grammar's name for that.
_CLOSERS = {"(": (")", "RPAR"), "[": ("]", "RSQB"), "{": ("}", "RBRACE")}
_STRING = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
# The part of a line before its comment; strings may contain '#'.
_CODE = re.compile(rf"(?:[^#\"']|{_STRING})*")
# A bracket, or a string or comment (whose brackets do not count).
_BRACKET = re.compile(rf"{_STRING}|#[^\n]*|[][(){{}}]")
# Strings, comments and all but brackets; a pair of brackets with nothing between them.
_NOT_BRACKET = re.compile(rf"{_STRING}|#[^\n]*|[^][(){{}}\"'#]+")
_PAIR = re.compile(r"\(\)|\[\]|\{\}")


def _accepts(exc: UnexpectedInput) -> set[str]:
    """The terminals the parser can take where it stopped, from its state.

    Not the lexer's: the contextual lexer's set for an unexpected character is
    what its state can lex, which after `x = f(1)` includes ')' and ']' (other
    items of the same state) and leaves out the keywords folded into NAME."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        accepts: set[str] = interactive.accepts()
        return accepts
    return set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())


def _expected(terminals: set[str]) -> str:
    """What was expected, in words; a whole group (every way to start a statement,
    or a value) is one word, so the list stays short and nothing is cut."""
    terminals = {"NAME" if t == "WORD" else t for t in terminals or ()}  # a WORD is a name, keywords allowed
    groups = [(word, first) for word, first in _grammar().groups if first <= terminals]
    covered = set().union(*(first for _, first in groups))
    words = sorted({word for word, _ in groups} | {_terminal_words(t) for t in terminals - covered})
    if not words:
        return ""
    if len(words) > 8:
        words = words[:8] + ["..."]
    return "expected " + (words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1])


def _terminal_words(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    pattern = _lark().get_terminal(name).pattern
    return f"'{pattern.value}'" if pattern.type == "str" else name.lower()


def _token_words(token: Token) -> str:
    if token.type in ("NAME", "WORD", "STRING", "INT", "FLOAT"):
        return f"{TERMINAL_WORDS[token.type][2:] if token.type != 'INT' else 'integer'} {str(token)!r}"
    return repr(str(token))


class _GrammarFacts(NamedTuple):
    """What error messages need to know of the grammar, beyond its terminals."""

    statement_starts: frozenset[str]  # the terminals a statement can start with
    value_starts: frozenset[str]
    keywords: frozenset[str]  # the terminals of the grammar's words, which are not names: FOR, TRUE, ...
    keyword_words: frozenset[str]  # and their words

    @property
    def groups(self) -> tuple[tuple[str, frozenset[str]], ...]:
        """(words, terminals): what a set of expected terminals holding all of them is called."""
        return (("a statement", self.statement_starts), ("a value", self.value_starts))


@functools.lru_cache(maxsize=1)
def _grammar() -> _GrammarFacts:
    first = GrammarAnalyzer(ParserConf(_lark().rules, {}, _lark().options.start)).FIRST
    statement, value = (frozenset(t.name for t in first[NonTerminal(rule)]) for rule in ("_statement", "_value"))
    words = {t.name: t.pattern.value for t in _lark().terminals
             if t.pattern.type == "str" and _WORD.fullmatch(t.pattern.value)}
    return _GrammarFacts(statement, value, frozenset(words), frozenset(words.values()))


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _end_of_text(text: str) -> Span:
    lines = text.rstrip().split("\n")
    line = len(lines)
    col = len(lines[-1]) + 1
    return Span(line, col, line, col + 1)


# --- tree building -------------------------------------------------------------
#
# Each method gets the children of one grammar rule as lalr.py hands them over:
# a terminal is a tuple (type, value, start_pos, line, column, end_line,
# end_column, end_pos), a rule is what its method returned, an absent
# `[optional]` is None.


_LITERAL_WORDS = {"TRUE": True, "FALSE": False, "NONE": None}


def _token_span(token: RawToken) -> Span:
    return Span(token[3], token[4], token[5], token[6])


def _tokens_span(first: RawToken, last: RawToken) -> Span:
    """From the start of token `first` to the end of token `last`."""
    return Span(first[3], first[4], last[5], last[6])


def _until(first: RawToken, last: RawToken | _Spanned) -> Span:
    """From the start of token `first` to the end of `last`, a token or anything with a span."""
    if isinstance(last, tuple):
        return Span(first[3], first[4], last[5], last[6])
    end = last.span
    return Span(first[3], first[4], end.end_line, end.end_col)


class _Builder:
    """Turns each grammar rule into its nodes.py class as the parser reduces it."""

    def __init__(self, diags: Diagnostics):
        self.diags = diags
        # One str (and one callee tuple) per distinct name: a big file repeats a few
        # names many times, and each copy would be kept by the tree.
        self.names: dict[str, str] = {}
        self.callees: dict[str, tuple[str]] = {}

    # --- statements ---

    def start(self, c: _Children) -> list[n.Stmt]:
        return c

    def workflow_stmt(self, c: _Children) -> n.WorkflowStmt:
        return n.WorkflowStmt(c[1][1], _tokens_span(c[0], c[1]))

    def dotted_name(self, c: _Children) -> _Part[str]:
        return _Part(".".join([t[1] for t in c[::2]]), _tokens_span(c[0], c[-1]))

    def import_name(self, c: _Children) -> n.ImportName:
        return n.ImportName(c[0][1], c[-1][1], _tokens_span(c[0], c[-1]))

    def from_import(self, c: _Children) -> n.FromImport:
        names = tuple(x for x in c if isinstance(x, n.ImportName))
        return n.FromImport(c[1].value, names, _until(c[0], c[-1]))

    def import_module(self, c: _Children) -> n.ImportModule:
        return n.ImportModule(c[1].value, c[3][1], _tokens_span(c[0], c[3]))

    def use_stmt(self, c: _Children) -> n.UseStmt:
        return n.UseStmt(self._string(c[1]), c[3][1], _tokens_span(c[0], c[3]), _token_span(c[1]))

    def param_stmt(self, c: _Children) -> n.ParamStmt:
        default = c[5] if len(c) > 5 else None
        return n.ParamStmt(c[1][1], c[3][1], _token_span(c[3]), default, _until(c[0], c[-1]))

    def let_stmt(self, c: _Children) -> n.LetStmt:
        return n.LetStmt(c[1][1], c[3], _until(c[0], c[3]))

    def assign_stmt(self, c: _Children) -> n.AssignStmt:
        name: RawToken = c[0]
        value: n.Expr = c[2]
        line, col, end = name[3], name[4], value.span  # spans written out: the commonest statement
        text = self.names.setdefault(name[1], name[1])
        if c[3] is None:
            return n.AssignStmt(text, value, Span(line, col, end.end_line, end.end_col),
                                Span(line, col, name[5], name[6]))
        after: _Part[tuple[n.AfterName, ...]] = c[3]
        return n.AssignStmt(text, value, _until(name, after), Span(line, col, name[5], name[6]), after.value)

    def call_stmt(self, c: _Children) -> n.CallStmt:
        call: n.Call = c[0]
        if c[1] is None:
            return n.CallStmt(call, call.span)
        after: _Part[tuple[n.AfterName, ...]] = c[1]
        return n.CallStmt(call, call.span.to(after.span), after.value)

    def after(self, c: _Children) -> _Part[tuple[n.AfterName, ...]]:
        """`after x, y`: the names, each with its span."""
        names = tuple(n.AfterName(self.names.setdefault(t[1], t[1]), _token_span(t)) for t in c if t[0] == "NAME")
        return _Part(names, _tokens_span(c[0], c[-1]))

    def for_stmt(self, c: _Children) -> n.ForStmt:
        names = tuple(t[1] for t in c if type(t) is tuple and t[0] == "NAME")
        iterable: n.Expr = c[-2]
        block: _Part[tuple[n.Stmt, ...]] = c[-1]
        return n.ForStmt(names, iterable, block.value, _until(c[0], block))

    def finally_stmt(self, c: _Children) -> n.FinallyStmt:
        block: _Part[tuple[n.Stmt, ...]] = c[-1]
        return n.FinallyStmt(block.value, _until(c[0], block))

    def if_stmt(self, c: _Children) -> n.IfStmt:
        block: _Part[tuple[n.Stmt, ...]] = c[2]
        keyword: RawToken = c[0]
        first = n.IfBranch(c[1], block.value, _until(keyword, block), _token_span(keyword))
        rest = tuple(x for x in c[3:] if isinstance(x, n.IfBranch))
        branches = (first, *rest)
        return n.IfStmt(branches, first.span.to(branches[-1].span))

    def elif_part(self, c: _Children) -> n.IfBranch:
        block: _Part[tuple[n.Stmt, ...]] = c[2]
        return n.IfBranch(c[1], block.value, _until(c[0], block), _token_span(c[0]))

    def else_part(self, c: _Children) -> n.IfBranch:
        block: _Part[tuple[n.Stmt, ...]] = c[1]
        return n.IfBranch(None, block.value, _until(c[0], block), _token_span(c[0]))

    def or_test(self, c: _Children) -> n.BoolOp:
        items = tuple(x for x in c if type(x) is not tuple)
        return n.BoolOp("or", items, items[0].span.to(items[-1].span))

    def and_test(self, c: _Children) -> n.BoolOp:
        items = tuple(x for x in c if type(x) is not tuple)
        return n.BoolOp("and", items, items[0].span.to(items[-1].span))

    def not_test(self, c: _Children) -> n.NotTest:
        item: n.Test = c[1]
        return n.NotTest(item, _until(c[0], item))

    def comparison(self, c: _Children) -> n.Compare:
        left: n.Test = c[0]
        right: n.Test = c[2]
        op: RawToken = c[1]
        return n.Compare(op[1], left, right, left.span.to(right.span), _token_span(op))

    def operand(self, c: _Children) -> n.Test:
        """`( test )`: the test itself, its span the parentheses'."""
        test: n.Test = c[1]
        return dataclasses.replace(test, span=_tokens_span(c[0], c[2]))

    def block(self, c: _Children) -> _Part[tuple[n.Stmt, ...]]:
        return _Part(tuple(x for x in c if type(x) is not tuple), _tokens_span(c[0], c[-1]))

    def options_stmt(self, c: _Children) -> n.OptionsStmt:
        target: RawToken | None = c[1]
        entries = tuple(x for x in c if isinstance(x, n.OptionEntry))
        target_span = _token_span(target if target is not None else c[0])
        return n.OptionsStmt(target[1] if target is not None else "neutral", entries, _tokens_span(c[0], c[-1]),
                             target_span)

    def option_entry(self, c: _Children) -> n.OptionEntry:
        key: RawToken = c[0]
        body: _Part[tuple[n.OptionItem, ...]] = c[2]
        pattern = None if key[0] == "WORKFLOW" else self._string(key)
        return n.OptionEntry(pattern, body.value, _until(key, c[-1]), _token_span(key))

    def option_body(self, c: _Children) -> _Part[tuple[n.OptionItem, ...]]:
        return _Part(tuple(x for x in c if isinstance(x, n.OptionItem)), _tokens_span(c[0], c[-1]))

    def option_item(self, c: _Children) -> n.OptionItem:
        return n.OptionItem(c[0][1], c[2], _until(c[0], c[2]), _token_span(c[0]))

    def storage_stmt(self, c: _Children) -> n.StorageStmt:
        return n.StorageStmt(self._string(c[1]), _tokens_span(c[0], c[1]))

    def return_stmt(self, c: _Children) -> n.ReturnStmt:
        names = tuple(n.ReturnName(t[1], _token_span(t)) for t in c if t[0] == "NAME")
        return n.ReturnStmt(names, _tokens_span(c[0], c[-1]))

    # --- expressions ---

    def call(self, c: _Children) -> n.Call:
        callee: tuple[tuple[str, ...], Span] = c[0]
        names, start = callee
        args: list[n.Expr] = []
        kwargs: list[n.Keyword] = []
        for part in c[2:-1]:
            if part is None or type(part) is tuple:
                continue
            (kwargs if type(part) is n.Keyword else args).append(part)
        end: RawToken = c[-1]
        return n.Call(names, tuple(args), tuple(kwargs), Span(start.line, start.col, end[5], end[6]), start)

    def callee(self, c: _Children) -> tuple[tuple[str, ...], Span]:
        """(names, span): the dotted path of a call."""
        if len(c) == 1:
            name: RawToken = c[0]
            names = self.callees.get(name[1])
            if names is None:
                names = self.callees[name[1]] = (name[1],)
            return names, Span(name[3], name[4], name[5], name[6])
        return tuple(t[1] for t in c[::2]), _tokens_span(c[0], c[-1])

    def argument(self, c: _Children) -> n.Expr:
        value: n.Expr = c[0]
        return value

    def keyword_argument(self, c: _Children) -> n.Keyword:
        name: RawToken = c[0]
        value: n.Expr = c[2]
        end = value.span
        span = Span(name[3], name[4], end.end_line, end.end_col)
        return n.Keyword(self.names.setdefault(name[1], name[1]), value, span)

    def reference(self, c: _Children) -> n.Ref:
        name: RawToken = c[0]
        name_span = Span(name[3], name[4], name[5], name[6])
        text = self.names.setdefault(name[1], name[1])
        if len(c) == 1:
            return n.Ref(text, (), name_span, name_span)
        words: list[RawToken] = []  # `dm.DATA`: the words after the dots
        for i in range(2, len(c), 2):
            if type(c[i - 1]) is not tuple or c[i - 1][1] != ".":
                break
            words.append(c[i])
        if words:
            name_span = _tokens_span(name, words[-1])
        indexes = tuple(x for x in c[1 + 2 * len(words):] if type(x) is not tuple)
        return n.Ref(text, indexes, _tokens_span(name, c[-1]), name_span, tuple(w[1] for w in words))

    def list(self, c: _Children) -> n.ListExpr:
        items = tuple(x for x in c[1:-1] if x is not None and type(x) is not tuple)
        return n.ListExpr(items, _tokens_span(c[0], c[-1]))

    def dict(self, c: _Children) -> n.DictExpr:
        pairs = tuple(x for x in c[1:-1] if type(x) is tuple and len(x) == 2)
        return n.DictExpr(pairs, _tokens_span(c[0], c[-1]))

    def pair(self, c: _Children) -> tuple[str, n.Expr]:
        return (self._string(c[0]), c[2])

    def literal(self, c: _Children) -> n.Literal:
        token: RawToken = c[0]
        kind = token[0]
        if kind == "STRING":
            value: Any = self._string(token)
        elif kind == "INT":
            value = self._within_limits(limits.integer, token)
        elif kind == "FLOAT":
            value = self._within_limits(limits.floating, token)
        else:
            value = _LITERAL_WORDS[kind]
        return n.Literal(value, Span(token[3], token[4], token[5], token[6]))

    def _within_limits(self, value_of: Callable[[str], int | float], token: RawToken) -> int | float:
        """A number's value; an error at its token when no target could write it."""
        try:
            return value_of(token[1])
        except limits.LimitError as exc:
            self.diags.error(_token_span(token), exc.message, exc.hint)
            return 0

    def _string(self, token: RawToken) -> str:
        """The literal's value: Python's escapes, an unknown one keeping its backslash."""
        body = token[1][1:-1]
        try:
            return strings.decode(body)
        except strings.BadEscape as exc:
            self.diags.error(_token_span(token), f"invalid escape in string: {exc}")
            return body


_V = TypeVar("_V")


class _Part(Generic[_V]):
    """A rule's value that is not a node: a dotted name, a block's statements, an option body."""

    __slots__ = ("value", "span")

    def __init__(self, value: _V, span: Span):
        self.value = value
        self.span = span


@functools.lru_cache(maxsize=1)
def _parser() -> LalrParser:
    return LalrParser(_lark())


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    """The grammar, analysed by lark: parse table, terminals, contextual lexer (kept between runs: tables.py)."""
    grammar = resources.files("fuseflow.grammar").joinpath("fuse.lark").read_text()
    return tables.load_or_build(grammar, parser="lalr", lexer="contextual", keep_all_tokens=True,
                                maybe_placeholders=True)
