"""What the server knows of an open document: its text compiled as `fusec check` compiles it.

    analysis = analyse(text, "/home/me/flows/models.fuse")
    analysis.diagnostics        # every error and warning, as fusec check reports them
    analysis.module             # the syntax tree, None while the text has a syntax error
    analysis.workflow           # the IR, None while the file has an error

A text is compiled once per change; every request (hover, completion, ...)
reads the analysis of the latest one. While the text has a syntax error the
latest analysis whose text parsed is kept (`parsed`), so that completion
still knows the file's names as they were a keystroke ago.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .. import ir
from ..compiler import nodes as n
from ..compiler.errors import CompileError, Diagnostic
from ..compiler.frontend import compile_module
from ..compiler.parser import parse
from ..compiler.source import display_path
from .index import Index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analysis:
    text: str
    path: str  # the file as fusec names it in messages ("<untitled>" for a buffer never saved)
    folder: Path | None  # the file's folder: where its Python modules are looked for first
    module: n.Module | None
    workflow: ir.Workflow | None
    diagnostics: tuple[Diagnostic, ...]
    earlier: Analysis | None = field(default=None, repr=False)  # while module is None: the latest text that parsed

    @cached_property
    def index(self) -> Index:
        """Every name of the file, where it is bound and where it is used (empty while it does not parse)."""
        return Index(self.module, self.text)

    @property
    def parsed(self) -> Analysis | None:
        """This analysis if its text parses, else the latest earlier one whose text did."""
        return self if self.module is not None else self.earlier


def analyse(text: str, file: str | None = None, previous: Analysis | None = None) -> Analysis:
    """Compile `text` (the contents of `file`, a local path, or of an unsaved buffer when None)."""
    path = display_path(file) if file else "<untitled>"
    folder = Path(file).resolve().parent if file else None
    source = " " + text[1:] if text.startswith("\ufeff") else text  # a BOM, read as fusec reads files, same columns
    module, workflow, diagnostics = _compile(source, path, file)
    earlier = previous.parsed if previous is not None and module is None else None
    return Analysis(text, path, folder, module, workflow, tuple(diagnostics), earlier)


def _compile(text: str, path: str, file: str | None = None) -> tuple[n.Module | None, ir.Workflow | None,
                                                                      list[Diagnostic]]:
    try:
        module = parse(text, path)
    except CompileError as exc:
        return None, None, exc.diagnostics
    except Exception as exc:  # a bug in fusec: said in the editor, the server goes on
        log.exception("parsing %s failed", path)
        return None, None, [_internal(exc)]
    try:
        workflow, warnings = compile_module(module, text, file=file)
    except CompileError as exc:
        if exc.path != path:  # errors of a file it uses: one diagnostic at the `use` that names it
            return module, None, [_in_used_file(module, exc)]
        return module, None, exc.diagnostics
    except Exception as exc:
        log.exception("compiling %s failed", path)
        return module, None, [_internal(exc)]
    return module, workflow, warnings


def _in_used_file(module: n.Module, exc: CompileError) -> Diagnostic:
    uses = [stmt for stmt in module.statements if isinstance(stmt, n.UseStmt)]
    named = [stmt for stmt in uses if exc.path.endswith(stmt.path.lstrip("./"))] or uses
    first = exc.diagnostics[0] if exc.diagnostics else None
    where = f"{exc.path}:{first.span.line}:{first.span.col}" if first and first.span else exc.path
    message = f"{exc.path} has errors: {where}: {first.message}" if first else f"{exc.path} has errors"
    return Diagnostic("error", message, named[0].path_span if named else None, "open it to see them all")


def _internal(exc: Exception) -> Diagnostic:
    return Diagnostic("error", f"internal error in fusec: {exc!r}", None,
                      "a bug in fusec, not in this file: `fusec check --debug FILE` shows its traceback")
