"""Formatting: the whole document as `fusec fmt` lays it out (fuseflow.fmt).

A file with syntax errors is left as it is (fmt refuses it, as `fusec fmt`
does), and so is one already formatted: no edit at all.
"""
from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from ..compiler.errors import CompileError
from .documents import Analysis
from .positions import Lines


class Unavailable(Exception):
    """fuseflow.fmt cannot be imported: formatting is not there to do."""


def formatting(analysis: Analysis, lines: Lines) -> list[types.TextEdit]:
    try:
        formatted = _formatter()(analysis.text, analysis.path)
    except CompileError:  # syntax errors: already shown as diagnostics
        return []
    if formatted == analysis.text:
        return []
    return [types.TextEdit(range=lines.whole(), new_text=formatted)]


def _formatter() -> Callable[[str, str], str]:
    try:
        from ..fmt import format_source  # deferred: the formatter is a package of its own, loaded on first use
    except ImportError as exc:
        raise Unavailable(f"formatting unavailable: fuseflow.fmt cannot be imported ({exc})") from None
    formatter: Callable[[str, str], str] = format_source
    return formatter
