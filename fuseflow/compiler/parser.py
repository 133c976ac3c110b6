"""Source text -> syntax tree (nodes.py), with syntax errors that say what was expected.

The lark parser is LALR(1), built once and kept. The tree is built while
parsing (an inline transformer), which is several times faster than building
lark's generic Tree first; spans come from the tokens, which is why the parser
keeps all tokens.
"""
from __future__ import annotations

import ast as pyast
import functools
import re
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import nodes as n
from .errors import CompileError, Diagnostic, Diagnostics
from .nodes import Span

# How a terminal is named in "expected ..." messages.
TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "INT": "an integer",
    "FLOAT": "a number",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NONE": "'none'",
    "WORKFLOW": "'workflow'",
    "$END": "end of file",
}
MAX_SYNTAX_ERRORS = 20


def parse(source: str, path: str = "<string>") -> n.Module:
    """Parse a whole file; raise CompileError listing every syntax error found."""
    diags = Diagnostics()
    statements = _parse_recovering(source, diags)
    if diags.errors:
        raise CompileError(path, source, diags.items)
    return n.Module(path=path, statements=tuple(statements))


def _parse_recovering(source: str, diags: Diagnostics) -> list:
    """Report a syntax error, blank its line and parse again, so one run shows them all."""
    text = source
    last_line = 0
    for _ in range(MAX_SYNTAX_ERRORS):
        builder = _builder()
        builder.diags = diags
        try:
            return _lark().parse(text)
        except UnexpectedInput as exc:
            diag = _describe(exc, text)
            diags.items.append(diag)
            line = diag.span.line
            if line <= last_line or not _can_skip_line(text, line):
                return []
            last_line = line
            text = _blank_line(text, line)
    return []


def _can_skip_line(text: str, line: int) -> bool:
    """Blanking a line that opens or closes a block would only cause more, false, errors."""
    lines = text.split("\n")
    content = _CODE.match(lines[line - 1]).group(0) if line <= len(lines) else ""
    return content.count("{") == content.count("}")


def _blank_line(text: str, line: int) -> str:
    lines = text.split("\n")
    lines[line - 1] = ""
    return "\n".join(lines)


# --- syntax error messages -----------------------------------------------------


def _describe(exc: UnexpectedInput, text: str) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        span = Span(exc.line, exc.column, exc.line, exc.column + 1)
        what = "an unterminated string" if char in "\"'" else f"unexpected character {char!r}"
        return Diagnostic("error", f"syntax error: {what}", span, _expected(exc.allowed))
    if isinstance(exc, UnexpectedEOF):
        span = _end_of_text(text)
        return Diagnostic("error", "syntax error: unexpected end of file", span, _expected(exc.expected))
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = _expected(exc.accepts or exc.expected)
    if token.type == "$END":
        return Diagnostic("error", "syntax error: unexpected end of file", _end_of_text(text), expected)
    span = Span.of_token(token)
    previous_end = _end_of_previous_line(text, token.line)
    if previous_end is not None and not text[: token.start_pos].rsplit("\n", 1)[-1].strip():
        # The token starts a line: the statement before it is what is unfinished.
        return Diagnostic("error", "syntax error: unfinished statement", previous_end, expected)
    return Diagnostic("error", f"syntax error: unexpected {_token_words(token)}", span, expected)


def _end_of_previous_line(text: str, line: int) -> Span | None:
    """Where the last code before `line` ends, skipping blank lines and comments."""
    lines = text.split("\n")
    for number in range(line - 1, 0, -1):
        code = _CODE.match(lines[number - 1]).group(0).rstrip()
        if code:
            return Span(number, len(code) + 1, number, len(code) + 2)
    return None


# The part of a line before its comment; strings may contain '#'.
_CODE = re.compile(r'(?:[^#"\']|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')*')


def _expected(terminals: Any) -> str:
    words = sorted({_terminal_words(t) for t in terminals or ()})
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
    if token.type in ("NAME", "STRING", "INT", "FLOAT"):
        return f"{TERMINAL_WORDS[token.type][2:] if token.type != 'INT' else 'integer'} {str(token)!r}"
    return repr(str(token))


def _end_of_text(text: str) -> Span:
    lines = text.rstrip().split("\n")
    line = len(lines)
    col = len(lines[-1]) + 1
    return Span(line, col, line, col + 1)


# --- tree building -------------------------------------------------------------


def _span(children: list) -> Span:
    parts = [c for c in children if c is not None]
    return _span_of(parts[0]).to(_span_of(parts[-1]))


def _span_of(child: Any) -> Span:
    if isinstance(child, Token):
        return Span.of_token(child)
    if isinstance(child, tuple):  # (value, span) from dotted_name, callee, block, option_body
        return child[1]
    return child.span


def _significant(children: list) -> list:
    """Children without punctuation and keywords (the parser keeps every token for spans)."""
    return [c for c in children if c is not None and not (isinstance(c, Token) and not _is_value_token(c))]


def _is_value_token(token: Token) -> bool:
    return token.type in ("NAME", "STRING", "INT", "FLOAT", "TRUE", "FALSE", "NONE", "WORKFLOW")


class _Builder(Transformer):
    """Turns each grammar rule into its nodes.py class as the parser reduces it."""

    diags: Diagnostics

    def start(self, c):
        return c

    def workflow_stmt(self, c):
        return n.WorkflowStmt(str(c[1]), _span(c))

    def dotted_name(self, c):
        names = [str(t) for t in c if t.type == "NAME"]
        return (".".join(names), _span(c))

    def import_name(self, c):
        names = [str(t) for t in c if t.type == "NAME"]
        return n.ImportName(names[0], names[-1], _span(c))

    def from_import(self, c):
        names = tuple(x for x in c if isinstance(x, n.ImportName))
        return n.FromImport(c[1][0], names, _span(c))

    def import_module(self, c):
        return n.ImportModule(c[1][0], str(c[3]), _span(c))

    def param_stmt(self, c):
        default = c[5] if len(c) > 5 else None
        return n.ParamStmt(str(c[1]), str(c[3]), Span.of_token(c[3]), default, _span(c))

    def let_stmt(self, c):
        return n.LetStmt(str(c[1]), c[3], _span(c))

    def assign_stmt(self, c):
        return n.AssignStmt(str(c[0]), c[2], _span(c), Span.of_token(c[0]))

    def call_stmt(self, c):
        return n.CallStmt(c[0], c[0].span)

    def for_stmt(self, c):
        names = tuple(str(t) for t in c if isinstance(t, Token) and t.type == "NAME")
        iterable, block = c[-2], c[-1]
        return n.ForStmt(names, iterable, block[0], _span(c))

    def block(self, c):
        return (tuple(x for x in c if not isinstance(x, Token)), _span(c))

    def options_stmt(self, c):
        target = c[1]
        entries = tuple(x for x in c if isinstance(x, n.OptionEntry))
        target_span = Span.of_token(target) if target is not None else Span.of_token(c[0])
        return n.OptionsStmt(str(target) if target is not None else "neutral", entries, _span(c), target_span)

    def option_entry(self, c):
        key, body = c[0], c[2]
        pattern = None if key.type == "WORKFLOW" else self._string(key)
        return n.OptionEntry(pattern, body[0], _span(c), Span.of_token(key))

    def option_body(self, c):
        return (tuple(x for x in c if isinstance(x, n.OptionItem)), _span(c))

    def option_item(self, c):
        return n.OptionItem(str(c[0]), c[2], _span(c), Span.of_token(c[0]))

    def storage_stmt(self, c):
        return n.StorageStmt(self._string(c[1]), _span(c))

    def return_stmt(self, c):
        names = tuple(n.ReturnName(str(t), Span.of_token(t)) for t in c if t.type == "NAME")
        return n.ReturnStmt(names, _span(c))

    def call(self, c):
        callee = c[0]
        parts = _significant(c[1:])
        args = tuple(p for p in parts if not isinstance(p, n.Keyword))
        kwargs = tuple(p for p in parts if isinstance(p, n.Keyword))
        return n.Call(tuple(callee[0].split(".")), args, kwargs, _span(c), callee[1])

    def callee(self, c):
        return self.dotted_name(c)

    def argument(self, c):
        return c[0]

    def keyword_argument(self, c):
        return n.Keyword(str(c[0]), c[2], _span(c))

    def reference(self, c):
        indexes = tuple(x for x in c[1:] if not isinstance(x, Token) or _is_value_token(x))
        return n.Ref(str(c[0]), indexes, _span(c), Span.of_token(c[0]))

    def list(self, c):
        return n.ListExpr(tuple(_significant(c)), _span(c))

    def dict(self, c):
        return n.DictExpr(tuple(_significant(c)), _span(c))

    def pair(self, c):
        return (self._string(c[0]), c[2])

    def literal(self, c):
        token = c[0]
        kind = token.type
        if kind == "STRING":
            value: Any = self._string(token)
        elif kind == "INT":
            value = int(token)
        elif kind == "FLOAT":
            value = float(token)
        else:
            value = {"TRUE": True, "FALSE": False, "NONE": None}[kind]
        return n.Literal(value, Span.of_token(token))

    def _string(self, token: Token) -> str:
        """Python's string escapes, decoded without evaluating anything but the literal."""
        try:
            return pyast.literal_eval(str(token))
        except (SyntaxError, ValueError) as exc:
            self.diags.error(Span.of_token(token), f"invalid escape in string: {exc.msg if hasattr(exc, 'msg') else exc}")
            return str(token)[1:-1]


@functools.lru_cache(maxsize=1)
def _builder() -> _Builder:
    return _Builder()


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("fuseflow.grammar").joinpath("fuse.lark").read_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=_builder(),
        keep_all_tokens=True,
        maybe_placeholders=True,
        cache=False,
    )
