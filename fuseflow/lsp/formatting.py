"""Formatting: the whole document as `fusec fmt` lays it out (fuseflow.fmt).

A file with syntax errors is left as it is (fmt refuses it, as `fusec fmt`
does; the errors are on screen already), and so is one already formatted:
no edit at all. When the formatter fails (a bug of its own: FormatError),
the editor is told why (NotFormatted) and the text stays as it is.
"""
from __future__ import annotations

import logging

from lsprotocol import types

from ..compiler.errors import CompileError
from ..fmt import format_source
from .documents import Analysis
from .positions import Lines

log = logging.getLogger(__name__)


class NotFormatted(Exception):
    """Why the document was not formatted, for the editor to show."""


def formatting(analysis: Analysis, lines: Lines) -> list[types.TextEdit]:
    try:
        formatted = format_source(analysis.text, analysis.path)
    except CompileError:  # syntax errors: already shown as diagnostics
        return []
    except Exception as exc:  # the formatter's own bug (FormatError, or worse): the text stays
        log.exception("formatting %s failed", analysis.path)
        raise NotFormatted(f"fusec fmt failed on {analysis.path}: {exc}") from None
    if formatted == analysis.text:
        return []
    return [types.TextEdit(range=lines.whole(), new_text=formatted)]

