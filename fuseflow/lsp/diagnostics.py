"""Diagnostics: every error and warning of `fusec check`, with its exact range.

The message is fusec's; its hint ("did you mean 'add'?") follows on a second
line, as fusec prints it after the caret.
"""
from __future__ import annotations

from lsprotocol import types

from ..compiler.errors import Diagnostic
from .documents import Analysis
from .positions import Lines

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


def diagnostics(analysis: Analysis, lines: Lines) -> list[types.Diagnostic]:
    return [convert(diag, lines) for diag in analysis.diagnostics]


def convert(diag: Diagnostic, lines: Lines) -> types.Diagnostic:
    message = f"{diag.message}\n{diag.hint}" if diag.hint else diag.message
    return types.Diagnostic(range=lines.range(diag.span), message=message,
                            severity=SEVERITY.get(diag.severity, types.DiagnosticSeverity.Error), source="fusec")
