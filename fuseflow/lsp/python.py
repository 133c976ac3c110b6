"""The Python behind a name: a callable's signature, docstring and source line.

    found = find("examples.ops:add", Path("flows"))
    found.signature, found.doc, found.file, found.line     # "(a, b)", "Add two numbers.", ".../ops.py", 3

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
        for part in filter(None, qualname.split(".")):
            found = attribute(found, part)
            if found is MISSING:
                return None
        return describe(target, found)


@contextlib.contextmanager
def _imported(folder: Path | None) -> Any:
    with user_modules([folder or Path.cwd(), Path.cwd()]), contextlib.redirect_stdout(sys.stderr):
        yield


def describe(name: str, obj: Any) -> Found:
    inner = inspect.unwrap(obj) if callable(obj) else obj
    names = tuple((key, callable(value)) for key, value in sorted(vars(obj).items())
                  if not key.startswith("_") and not inspect.ismodule(value)) if inspect.ismodule(obj) else ()
    return Found(name, _signature(obj), inspect.getdoc(obj), *_source(inner), inspect.isclass(obj), names)


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
