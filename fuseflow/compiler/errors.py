"""Diagnostics: what went wrong, where, and what to do about it.

Every problem carries a Span; the CLI prints it the way editors and CI logs
understand (`file:line:col: error: ...`), followed by the source line and a
caret under the span, with the hint after the caret.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..ir.record import record
from .span import Span


@record
class Diagnostic:
    severity: str  # "error" or "warning"
    message: str
    span: Span | None
    hint: str = ""

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.span.line, self.span.col) if self.span else (0, 0)


class Diagnostics:
    """Collects every problem of a file; passes add to it instead of raising."""

    def __init__(self, items: list[Diagnostic] | None = None) -> None:
        self.items: list[Diagnostic] = [] if items is None else items
        self._seen: set[tuple[str, Span | None, str]] = {(d.severity, d.span, d.message) for d in self.items}

    def error(self, span: Span | None, message: str, hint: str = "") -> None:
        self.add(Diagnostic("error", message, span, hint))

    def warning(self, span: Span | None, message: str, hint: str = "") -> None:
        self.add(Diagnostic("warning", message, span, hint))

    def add(self, diag: Diagnostic) -> None:
        """Record a problem once: a statement inside a loop is lowered once per
        iteration, and its mistake must not be reported once per iteration."""
        key = (diag.severity, diag.span, diag.message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diag)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: d.sort_key)


class CompileError(Exception):
    """Raised by the front end when a file has errors; carries all of them."""

    def __init__(self, path: str, source: str, diagnostics: list[Diagnostic]):
        self.path = path
        self.source = source
        self.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
        super().__init__(render(path, source, self.diagnostics))


def target_error(source: str, message: str, span: tuple[int, int, int, int] | None = None,
                 hint: str = "") -> CompileError:
    """What a target cannot express, as an error at the .fuse file's position.

    Targets work from the IR, which keeps the source's path and each node's
    span but not the text: it is read again here to show the line (an
    unreadable file still gets the message, without the line).
    """
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    where = Span(*span) if span and span[0] else None
    return CompileError(source, text, [Diagnostic("error", message, where, hint)])


class UsageError(Exception):
    """A mistake on the command line rather than in a file (exit status 2)."""


class UnreadableInput(Exception):
    """A file that cannot be read at all (missing, not UTF-8): one line, exit status 1."""


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, if one is close enough."""
    import difflib  # deferred: needed only for a file with a misspelt name, not on every start-up

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def render(path: str, source: str, diagnostics: Iterable[Diagnostic]) -> str:
    lines = source_lines(source)
    return "".join(render_one(path, lines, d) for d in diagnostics)


def source_lines(source: str) -> list[str]:
    """The lines as the parser numbers them: only '\n' ends one (a form feed, a lone
    '\r' or U+2028 does not, though str.splitlines says so); a CRLF's '\r' goes."""
    return [line.removesuffix("\r") for line in source.split("\n")]


# How a source line is shown under its error: one character per column, so that the
# caret stays under the span, and no control character reaches the terminal (a file
# could move the cursor or recolour it): tabs as spaces, the others as their symbol.
_SHOWN = str.maketrans({**{chr(c): chr(0x2400 + c) for c in range(32)}, "\t": " ", "\x7f": "\u2421",
                        **{chr(c): "\ufffd" for c in range(0x80, 0xA0)}, "\u2028": "\u2424", "\u2029": "\u2424"})


def render_one(path: str, lines: list[str], diag: Diagnostic) -> str:
    if diag.span is None:
        return f"{path}: {diag.severity}: {diag.message}\n"
    span = diag.span
    head = f"{path}:{span.line}:{span.col}: {diag.severity}: {diag.message}\n"
    if not 0 < span.line <= len(lines):
        return head + (f"    {diag.hint}\n" if diag.hint else "")
    text = lines[span.line - 1].translate(_SHOWN)
    end = span.end_col if span.end_line == span.line else len(text) + 1
    width = max(1, end - span.col)
    gutter = str(span.line)
    pad = " " * len(gutter)
    caret = " " * (span.col - 1) + "^" * width
    hint = f" {diag.hint}" if diag.hint else ""
    return f"{head}  {gutter} | {text}\n  {pad} | {caret}{hint}\n"


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    diagnostics = list(diagnostics)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts = [_plural(errors, "error")] if errors or not warnings else []
    if warnings:
        parts.append(_plural(warnings, "warning"))
    return "fusec: " + ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
