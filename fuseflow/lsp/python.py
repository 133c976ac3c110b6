"""The Python behind a name: a callable's signature, docstring and source line.

    found = find("examples.ops:add", Path("flows"))
    found.signature, found.doc, found.file, found.line     # "(a, b)", "Add two numbers.", ".../ops.py", 3
    find("examples.data:DATA", None).value_type            # "list": a value, found where its module assigns it

Modules are imported as `fusec check --imports` imports them (the .fuse
file's folder, then the working directory, then the installed packages:
compiler/imports.py), and forgotten afterwards, so an edit of the module
shows at the next hover. Importing runs the module's code: whatever it
prints goes to stderr (stdout is the editor's channel), and whatever it
raises means only "nothing to show".
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..compiler.imports import MISSING, attribute, user_modules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """What Python says of an object; None where it cannot say."""

    name: str  # "examples.ops:add", or the module's name
    signature: str | None
    doc: str | None
    file: str | None
    line: int | None  # 1-based; None: the top of `file`
    is_class: bool = False
    names: tuple[tuple[str, bool], ...] = ()  # a module's public names, each with whether it is callable
    value_type: str | None = None  # a value's (`DATA = [1, 2]`: "list"); None for a callable, a class, a module


def find(target: str, folder: Path | None) -> Found | None:
    """The object a "module:qualname" target (or a module's name) names; None when it cannot be imported."""
    module_name, _, qualname = target.partition(":")
    with _imported(folder):
        try:
            found: Any = importlib.import_module(module_name)
        except BaseException as exc:  # ImportError, the module's own exception, SystemExit, ...
            if isinstance(exc, KeyboardInterrupt):
                raise
            log.info("cannot import %s: %r", module_name, exc)
            return None
        walked = _walk(found, qualname)
        if walked is None:
            return None
        found, holder, inside = walked
        return _value(target, found, holder, inside) if _is_value(found) else describe(target, found)


def _walk(module: Any, qualname: str) -> tuple[Any, Any, list[str]] | None:
    """The object `qualname` names in `module`, the innermost module on the way (where a value
    is assigned) and the names after that module; None for a name it does not have."""
    found, holder = module, module
    inside: list[str] = []
    for part in filter(None, qualname.split(".")):
        if inspect.ismodule(found):
            holder, inside = found, []
        inside.append(part)
        found = attribute(found, part)
        if found is MISSING:
            return None
    return found, holder, inside


@contextlib.contextmanager
def _imported(folder: Path | None) -> Any:
    with user_modules([folder or Path.cwd(), Path.cwd()]), contextlib.redirect_stdout(sys.stderr):
        yield


def describe(name: str, obj: Any) -> Found:
    inner = inspect.unwrap(obj) if callable(obj) else obj
    names = tuple((key, callable(value)) for key, value in sorted(vars(obj).items())
                  if not key.startswith("_") and not inspect.ismodule(value)) if inspect.ismodule(obj) else ()
    return Found(name, _signature(obj), inspect.getdoc(obj), *_source(inner), inspect.isclass(obj), names)


def _is_value(obj: Any) -> bool:
    return not (callable(obj) or inspect.ismodule(obj) or inspect.isclass(obj))


def _value(name: str, obj: Any, holder: Any, inside: list[str]) -> Found:
    """A value (`dm.DATA`): its type, and the line of its module that assigns it, when one does
    at the top level (a value has no source of its own: its docstring would be its type's)."""
    file = getattr(holder, "__file__", None)
    line = _assigned(file, inside[0]) if len(inside) == 1 else None
    return Found(name, None, None, file, line, value_type=type(obj).__name__)


def _assigned(file: str | None, name: str) -> int | None:
    """The 1-based line where a module's text assigns `name` at the top level (`NAME = ...`, `NAME: T = ...`)."""
    if file is None or not file.endswith(".py"):
        return None
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = re.search(rf"^{re.escape(name)}\s*(?::[^=\n]*)?=(?!=)", text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _signature(obj: Any) -> str | None:
    if not callable(obj) or inspect.ismodule(obj):
        return None
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):  # some builtins and C extensions have none
        return None


def _source(obj: Any) -> tuple[str | None, int | None]:
    try:
        file = inspect.getsourcefile(obj) or inspect.getfile(obj)
    except TypeError:  # a builtin
        return None, None
    try:
        line = None if inspect.ismodule(obj) else inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        line = None
    return file, line
