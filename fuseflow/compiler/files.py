"""A .fuse file from disk to IR: what every command that reads one does.

    workflow, warnings = load("flows/models.fuse", {"n": "10"})      # warnings: rendered text, or ""

An unchanged file comes from the compiled-IR cache (cache.py), with its
warnings; `imports=True` also imports the modules it names and checks its
calls against them, as `fusec check --imports` does (never cached: it runs
the modules' code). CompileError for a file with errors, UnreadableInput for
one that cannot be read.
"""
from __future__ import annotations

from pathlib import Path

from .. import ir
from ..runtime.params import ParamError, parse_assignments
from . import errors
from .cache import compiled
from .errors import CompileError, UnreadableInput, UsageError
from .source import display_path


def load(path: str, defines: dict[str, str], imports: bool = False) -> tuple[ir.Workflow, str]:
    """(IR workflow, its warnings as fusec prints them, "" when there are none)."""
    text = read(path)
    if imports:
        workflow, warnings = with_imports(path, text, defines)
    else:
        workflow, warnings = compiled(text, display_path(path), defines, path)  # the front end on a change only
    if not warnings:
        return workflow, ""
    return workflow, errors.render(display_path(path), text, warnings) + errors.summary(warnings) + "\n"


def define_values(texts: list[str] | None) -> dict[str, str]:
    """`-D NAME=VALUE` texts as {name: value text}; UsageError for a malformed one."""
    try:
        return parse_assignments(texts)
    except ParamError as exc:
        raise UsageError(f"-D: {exc}") from None


def read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")  # an editor's BOM is not a syntax error
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def with_imports(path: str, text: str, defines: dict[str, str]) -> tuple[ir.Workflow, list[errors.Diagnostic]]:
    """Compile, then resolve the imports as a run would (imports.py); CompileError
    naming every import problem at its statement."""
    from .frontend import compile_module  # lark and the whole front end: never on the cached path
    from .imports import check_imports
    from .parser import parse

    module = parse(text, display_path(path))
    workflow, warnings = compile_module(module, text, defines, file=path)
    found = check_imports(module, workflow, text, Path(path).resolve().parent)
    if any(d.severity == "error" for d in found):
        raise CompileError(module.path, text, warnings + found)
    for used in dict.fromkeys(use.source for use in workflow.uses):  # each used file's own imports and calls
        used_path = str(Path(path).resolve().parent / used)
        with_imports(used_path, read(used_path), {})
    return workflow, sorted(warnings + found, key=lambda d: d.sort_key)
