"""`fusec check --imports`: the file's imports resolved now, and each call checked against them.

Imports are resolved when the workflow runs, not when it compiles. This pass,
run only when asked (importing a module runs its code), does early what a run
will do: it imports each module the file names, with the .fuse file's folder
and the working directory first on sys.path (as `fusec run` has them:
targets/loader.py), then checks

- each `from MODULE import NAME`: the module imports, and has the name;
- each call: the callee exists and is callable, and the node's arguments bind
  to its signature (a method: the object node's class's method);

and reports problems as diagnostics at the statement, once per statement:
a loop that makes 1,000 nodes of one call checks that call once.

    problems = check_imports(module, workflow, text, Path("pipelines"))
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import ir
from ..runtime.invoke import IndexingError, resolve_imported
from . import nodes as n
from .errors import Diagnostic, Diagnostics, source_lines, suggest

MISSING = object()  # a name that failed to resolve, already reported
ARGUMENT = object()  # what every argument is bound as: only the shape of a call matters


def check_imports(module: n.Module, workflow: ir.Workflow, source: str,
                  folder: str | os.PathLike[str]) -> list[Diagnostic]:
    """Every problem of the file's imports and calls, sorted by position."""
    diags = Diagnostics()
    with user_modules([Path(folder), Path.cwd()]):
        resolver = Resolver(diags, source_lines(source))
        for stmt in module.statements:
            if isinstance(stmt, n.FromImport):
                resolver.from_import(stmt)
            elif isinstance(stmt, n.ImportModule):
                resolver.aliases.add(stmt.alias)
                resolver.load(stmt.module, module_span(resolver.lines, stmt))
        CallChecker(resolver, workflow, calls_by_span(module.statements)).run()
    return diags.sorted()


# --- modules and names ------------------------------------------------------------


class Resolver:
    """Modules and dotted names, each resolved and reported at most once."""

    def __init__(self, diags: Diagnostics, lines: list[str]):
        self.diags = diags
        self.lines = lines
        self.modules: dict[str, ModuleType | None] = {}  # None: it failed, and was reported
        self.imported: dict[tuple[str, str], Any] = {}  # (module, name) of `from` imports -> object
        self.aliases: set[str] = set()  # the names of `import MODULE as ALIAS`

    def load(self, name: str, span: n.Span) -> ModuleType | None:
        if name not in self.modules:
            self.modules[name] = self.import_or_report(name, span)
        return self.modules[name]

    def import_or_report(self, name: str, span: n.Span) -> ModuleType | None:
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            self.diags.error(span, f"cannot import '{name}': {exc}", import_hint(name, exc))
        except (Exception, SystemExit) as exc:  # the module's own code failed
            self.diags.error(span, f"importing '{name}' raised {type(exc).__name__}: {exc}", where_raised(exc))
        return None

    def from_import(self, stmt: n.FromImport) -> None:
        module = self.load(stmt.module, module_span(self.lines, stmt))
        if module is None:
            return
        for item in stmt.names:
            span = n.Span(item.span.line, item.span.col, item.span.line, item.span.col + len(item.name))
            found = attribute(module, item.name)
            if found is MISSING and has_submodule(module, item.name):  # as Python's `from` does
                found = self.load(f"{stmt.module}.{item.name}", span) or MISSING
            elif found is MISSING:
                self.diags.error(span, f"module '{stmt.module}' has no name '{item.name}'",
                                 did_you_mean(item.name, module))
            self.imported[(stmt.module, item.name)] = found

    def target(self, target: str, call: n.Call) -> Any:
        """The object a call's "module:qualname" target names; MISSING once reported (or its import was)."""
        module_name, _, qualname = target.partition(":")
        module = self.modules.get(module_name)
        if module is None:
            return MISSING
        head, *rest = qualname.split(".")
        callee, span = ".".join(call.callee), call.callee_span
        if call.callee[0] not in self.aliases:  # a name of a `from` import, checked there
            found = self.imported.get((module_name, head), MISSING)
        else:
            found = attribute(module, head)
            if found is MISSING:
                self.diags.error(span, f"module '{module_name}' has no name '{head}'", did_you_mean(head, module))
        words = list(call.callee)
        for i, part in enumerate(rest):
            if found is MISSING:
                return MISSING
            inner = attribute(found, part)
            if inner is MISSING:
                owner = ".".join(words[:len(words) - len(rest) + i])
                self.diags.error(span, f"'{owner}' has no attribute '{part}'", did_you_mean(part, found))
            found = inner
        if found is not MISSING and not callable(found):
            self.diags.error(span, f"'{callee}' is not callable: it is {describe(found)}",
                             "only functions, classes and other callables can make nodes")
            return MISSING
        return found


def has_submodule(module: ModuleType, name: str) -> bool:
    if not hasattr(module, "__path__"):
        return False
    try:
        return importlib.util.find_spec(f"{module.__name__}.{name}") is not None
    except Exception:  # a broken package: its import is what reports it
        return False


def attribute(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name)
    except Exception:  # AttributeError, or a module's __getattr__ failing its own way
        return MISSING


def did_you_mean(name: str, obj: Any) -> str:
    names = [a for a in dir(obj) if not a.startswith("_") or name.startswith("_")]
    guess = suggest(name, names)
    return f"did you mean '{guess}'?" if guess else ""


def describe(obj: Any) -> str:
    """'an int, 3': what a value is, with its repr when that is short."""
    kind = type(obj).__name__
    article = "an" if kind[0].lower() in "aeiou" else "a"
    text = repr(obj)
    return f"{article} {kind}, {text}" if len(text) <= 40 else f"{article} {kind}"


def import_hint(name: str, exc: ImportError) -> str:
    missing = getattr(exc, "name", None)
    if isinstance(exc, ModuleNotFoundError) and missing and (name == missing or name.startswith(missing + ".")):
        return "modules are looked for beside the .fuse file, in the working directory and among the installed packages"
    return where_raised(exc)


def where_raised(exc: BaseException) -> str:
    """Where the user's code raised: the innermost frame outside importlib and this module."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"at {shown_path(exc.filename)}:{exc.lineno}"
    ours = (__file__, importlib.__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename not in ours and not f.filename.startswith("<frozen ")]
    return f"at {shown_path(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""


def shown_path(filename: str) -> str:
    with contextlib.suppress(ValueError):
        return Path(filename).resolve().relative_to(Path.cwd().resolve()).as_posix()
    return filename


def module_span(lines: list[str], stmt: n.FromImport | n.ImportModule) -> n.Span:
    """The module's name in `from MODULE import ...` or `import MODULE as ...`
    (the whole statement's span if it cannot be found on the statement's line)."""
    keyword = "from" if isinstance(stmt, n.FromImport) else "import"
    dotted = r"\s*\.\s*".join(re.escape(word) for word in stmt.module.split("."))
    line = lines[stmt.span.line - 1] if 0 < stmt.span.line <= len(lines) else ""
    found = re.compile(rf"{keyword}\s+({dotted})").match(line, stmt.span.col - 1)
    if found is None:
        return stmt.span
    return n.Span(stmt.span.line, found.start(1) + 1, stmt.span.line, found.end(1) + 1)


@contextlib.contextmanager
def user_modules(folders: list[Path]) -> Iterator[None]:
    """`folders` first on sys.path while the block runs; afterwards the modules
    found in them are forgotten, so the next file checked finds its own."""
    entries = list(dict.fromkeys(str(folder.resolve()) for folder in folders))
    before = set(sys.modules)
    sys.path[:0] = entries
    importlib.invalidate_caches()
    try:
        yield
    finally:
        for entry in entries:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)
        for name in set(sys.modules) - before:
            if found_in(sys.modules[name], name, entries):
                del sys.modules[name]


def found_in(module: Any, name: str, entries: list[str]) -> bool:
    """Whether a module was found in one of the folders (not in a package installed below one)."""
    top = name.partition(".")[0]
    files = [getattr(module, "__file__", None), *getattr(module, "__path__", ())]
    for file in filter(None, files):
        for entry in entries:
            with contextlib.suppress(ValueError):
                if Path(file).resolve().relative_to(entry).parts[0].partition(".")[0] == top:
                    return True
    return False


# --- calls ----------------------------------------------------------------------------


def calls_by_span(statements: tuple[n.Stmt, ...]) -> dict[n.Span, n.Call]:
    """Every call of the file by its span, which the IR's nodes carry."""
    calls: dict[n.Span, n.Call] = {}
    for stmt in statements:
        if isinstance(stmt, n.ForStmt):
            calls.update(calls_by_span(stmt.body))
        elif isinstance(stmt, n.AssignStmt) and isinstance(stmt.value, n.Call):
            calls[stmt.value.span] = stmt.value
        elif isinstance(stmt, n.CallStmt):
            calls[stmt.call.span] = stmt.call
    return calls


@dataclass
class CallChecker:
    """Each node's callee and arguments; the nodes of one statement are checked once
    (unless their shape differs, which the language does not allow today)."""

    resolver: Resolver
    workflow: ir.Workflow
    calls: dict[n.Span, n.Call]
    indexed: set[tuple[n.Span, ir.Imported]] = field(default_factory=set)  # imported values indexed, checked

    def run(self) -> None:
        index = self.workflow.node_index()
        checked: set[tuple[n.Span, str, str | None, str, int, tuple[str, ...]]] = set()
        callees: dict[tuple[tuple[int, int, int, int], str], Any] = {}  # (callee span, target) -> object or MISSING
        for node in self.workflow.nodes:
            if node.use:  # a used workflow's node: its own file's calls, checked with that file
                continue
            span = n.Span(*node.span)
            call = self.calls.get(span)
            object_node = index[node.object] if node.object else None
            owner = object_node.target if object_node else None
            shape = (span, node.kind, owner, node.target, len(node.args), tuple(k for k, _ in node.kwargs))
            if call is not None:
                self.indexed_imports(node, call)
            if call is None or shape in checked:
                continue
            checked.add(shape)
            if node.kind == "method":
                assert object_node is not None, f"method node '{node.name}' names no object node"
                self.method(node, call, callees.get((object_node.span, object_node.target), MISSING))
            else:
                found = callees[(node.span, node.target)] = self.resolver.target(node.target, call)
                if found is not MISSING:
                    bind(self.resolver.diags, found, ".".join(call.callee), node, call, has_self=False)

    def indexed_imports(self, node: ir.Node, call: n.Call) -> None:
        """An imported value indexed (`DATA[5]`): the index is taken as a run would take it."""
        # a node's arguments are its call's, in order: lowering makes one value per argument
        keywords = ((value, kw.value) for (_, value), kw in zip(node.kwargs, call.kwargs, strict=True))
        arguments = [*zip(node.args, call.args, strict=True), *keywords]
        for value, expr in arguments:
            for found in ir.walk(value):
                if type(found) is not ir.Imported or not found.path or (expr.span, found) in self.indexed:
                    continue
                self.indexed.add((expr.span, found))
                try:
                    resolve_imported(found.target, found.path)
                except IndexingError as exc:
                    self.resolver.diags.error(expr.span, str(exc), "an imported value is indexed as the workflow "
                                              "starts; fix the index or the module's value")
                except Exception:  # noqa: BLE001  # not importable: the imports' own checks say so
                    continue

    def method(self, node: ir.Node, call: n.Call, cls: Any) -> None:
        """A method of the object node's class; nothing is known of what a factory function returns."""
        if not inspect.isclass(cls):
            return
        found, has_self = class_method(cls, node.target)
        label = f"{cls.__name__}.{node.target}"
        if found is MISSING:
            if not overrides_getattr(cls):
                self.resolver.diags.error(call.callee_span, f"'{cls.__name__}' has no method '{node.target}'",
                                          did_you_mean(node.target, cls))
        elif found is not None and not callable(found):
            self.resolver.diags.error(call.callee_span, f"'{label}' is not callable: it is {describe(found)}")
        elif found is not None:
            bind(self.resolver.diags, found, label, node, call, has_self)


def class_method(cls: type, name: str) -> tuple[Any, bool]:
    """(what `instance.name` calls, whether it receives the instance first); (None, _)
    when that cannot be known without an instance (a property)."""
    try:
        raw = inspect.getattr_static(cls, name)
    except AttributeError:
        return MISSING, False
    if isinstance(raw, (property, staticmethod, classmethod)):
        return (None if isinstance(raw, property) else getattr(cls, name)), False
    return getattr(cls, name), hasattr(type(raw), "__get__")  # a function or method descriptor binds the instance


def overrides_getattr(cls: type) -> bool:
    """Whether instances may have attributes the class does not show (a __getattr__ of its own)."""
    return any("__getattr__" in vars(k) or "__getattribute__" in vars(k) for k in cls.__mro__
               if k.__module__ != "builtins")


def bind(diags: Diagnostics, fn: Any, label: str, node: ir.Node, call: n.Call, has_self: bool) -> None:
    """The node's arguments against fn's signature, as placeholders."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins and C extensions have none
        return
    shown = signature.replace(parameters=list(signature.parameters.values())[1:]) if has_self else signature
    args = [ARGUMENT] * (len(node.args) + has_self)
    try:
        signature.bind(*args, **{key: ARGUMENT for key, _ in node.kwargs})
    except TypeError as exc:
        hint = keyword_hint(signature, [key for key, _ in node.kwargs])
        diags.error(call.span, f"wrong arguments for {label}(): {exc}", f"{hint}it takes {short(label + str(shown))}")


def short(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def keyword_hint(signature: inspect.Signature, keywords: list[str]) -> str:
    """'did you mean ...?' for a keyword the signature lacks, when one is close."""
    params = signature.parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return ""
    names = [name for name, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key in keywords:
        if key not in names:
            guess = suggest(key, names)
            if guess:
                return f"did you mean '{guess}'? "
    return ""
