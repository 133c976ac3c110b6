"""Run-time option overrides chosen by regex, like functionfuse's
`query(pattern).set_remote_args({...})`:

    wf.query(r"model\\..*").set(retries=3)          # Python
    python wf.py --set 'model\\..*:retries=3'        # command line

Overrides apply after the options compiled into the workflow, in the order
given; the regex full-matches node names. Every target checks them before
anything runs (`check`), with the checker of a .fuse file's options blocks:
a regex that selects no node, an unknown option or a value of the wrong
kind is an error, as it is in a .fuse file.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..ir.record import record
from .params import ParamError, parse_text, shortened, value_problem


@record
class Override:
    pattern: re.Pattern[str]
    options: dict[str, Any]

    def applies_to(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None


class Query:
    """The nodes a regex selects, for setting their options before a run."""

    def __init__(self, overrides: list[Override], pattern: str):
        self._overrides = overrides
        self._pattern = compile_regex(pattern, "query")

    def set(self, options: dict[str, Any] | None = None, **more: Any) -> Query:
        self._overrides.append(Override(self._pattern, {**(options or {}), **more}))
        return self


def effective_options(name: str, compiled: dict[str, Any], overrides: list[Override]) -> dict[str, Any]:
    if not overrides:
        return compiled
    merged = dict(compiled)
    for override in overrides:
        if override.applies_to(name):
            merged.update(override.options)
    return merged


_SET = re.compile(r"(?P<regex>.*?):(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<value>.*)", re.DOTALL)


def parse_set(text: str) -> Override:
    """'REGEX:KEY=VALUE' -> Override; the value in .fuse/JSON spelling ('2', '"x"', '[1]').

    The first ':KEY=' ends the regex, so a value may itself hold colons
    (`--set '.*:setup=pkg.init:init_worker'`)."""
    match = _SET.fullmatch(text)
    if match is None:
        raise ParamError(f"--set expects REGEX:KEY=VALUE, got {shortened(repr(text))}")
    regex = compile_regex(match["regex"], "--set")
    try:
        value = parse_text(match["value"].strip(), None)
    except RecursionError:  # json's own limit on nesting
        raise ParamError(f"--set {shortened(repr(text))}: the value nests too deeply") from None
    problem = value_problem(value, "option values")  # what a .fuse file cannot write either
    if problem is not None:
        raise ParamError(f"--set {shortened(repr(text))}: the value {problem}")
    return Override(regex, {match["key"]: value})


def compile_regex(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ParamError(f"{where} {shortened(repr(pattern))} is not a valid regex: {exc}") from None


# --- checking overrides: the checker of a .fuse file's options blocks ---------------


def check(overrides: Iterable[Override], names: list[str] | None, where: str = "--set", *, own: str | None = None,
          resolve: bool = True) -> list[Override]:
    """The overrides with their values as the runtime uses them (durations in seconds,
    sizes in bytes, ...), checked by the checker of a .fuse file's `options` blocks
    (fuseflow.schemas), so what a file refuses `--set` refuses too, and the reverse.

    Neutral options everywhere; `own` names a target whose own node options may be set
    as well (Ray's `.options()` keywords). `resolve`: import each callable named as
    "module:qualname" now, as the generated module imports a file's (not for KFP,
    whose steps import them in their image). ParamError naming the override otherwise;
    also for one whose regex matches none of `names` (None: not checked, a part of a workflow)."""
    checked = []
    for override in overrides:
        if names is not None:
            require_match(override.pattern, names, where)
        try:
            options = {key: normalize(key, value, own, resolve) for key, value in override.options.items()}
        except ParamError as exc:
            raise ParamError(f"{where} {shortened(repr(override.pattern.pattern))}: {exc}") from None
        checked.append(Override(override.pattern, options))
    return checked


def require_match(pattern: re.Pattern[str], names: list[str], where: str) -> None:
    if any(pattern.fullmatch(name) for name in names):
        return
    import difflib  # deferred: suggestions are for a mistake, not for every start

    close = difflib.get_close_matches(pattern.pattern, names, n=3) if len(pattern.pattern) <= 200 else []
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    shown = shortened(repr(pattern.pattern))
    raise ParamError(f"{where} {shown} matches no node (the regex must match a whole name){hint}")


def normalize(key: str, value: Any, own: str | None = None, resolve: bool = False) -> Any:
    """One option's value as the runtime uses it (fuseflow.schemas.check_option, as for
    a file); ParamError with the checker's message. A Python callable stands for an
    imported one (`query(...).set(setup=init)`) and is kept as it is; with `resolve`, a
    "module:qualname" one is imported now."""
    from ..schemas import check_option, known_options  # deferred: the option tables, once an option is checked

    table = _table(key, own)
    kind = known_options(table)[key].kind if key in known_options(table) else None
    written, objects = _as_written(kind, value)
    checked, problem = check_option(table, key, written)
    if problem is not None:
        hint = '; on the command line a callable is written "module:qualname"' if kind == "callable" else ""
        raise ParamError(problem + hint)
    if objects:
        return value
    if resolve and kind == "callable":
        _importable(key, checked)
    return _plain(checked)


def _table(key: str, own: str | None) -> str:
    """Whose option `key` is: neutral, else the target's own; an unknown key is taken for
    a misspelling of the closest name, so the message suggests that one."""
    from ..schemas import known_options  # deferred: the option tables, once an option is checked

    if own is None or key in known_options("neutral"):
        return "neutral"
    if key in known_options(own):
        return own
    import difflib  # deferred: suggestions are for a mistake, not for every start

    closeness = {table: max((difflib.SequenceMatcher(None, key, name).ratio() for name in known_options(table)),
                            default=0) for table in ("neutral", own)}
    return own if closeness[own] > closeness["neutral"] else "neutral"


# Kinds whose values name Python callables or classes (fuseflow.schemas.kinds).
_CALLABLE_KINDS = frozenset({"callable", "callable_list", "retry_exceptions"})


def _as_written(kind: str | None, value: Any) -> tuple[Any, bool]:
    """(the value as a file would hold it, whether it holds Python objects): for an option
    that names callables, "module:qualname" text is the reference a file's import makes,
    and a callable given in Python stands for one."""
    if kind not in _CALLABLE_KINDS:
        return value, False
    from ..schemas import CallableRef  # deferred: the option tables, once an option is checked

    if isinstance(value, list):
        items = [_as_written(kind, item) for item in value]
        return [item for item, _ in items], any(objects for _, objects in items)
    if isinstance(value, str):
        try:
            return CallableRef(value), False
        except ValueError:
            return value, False
    if callable(value):
        return CallableRef("python:callable"), True
    return value, False


def _importable(key: str, reference: str) -> None:
    from .invoke import resolve_callable  # deferred: the engine's importer, only for a callable --set names

    try:
        resolve_callable(reference)
    except Exception as exc:  # not there, or its module raises as it is imported: the user's to fix
        raise ParamError(f"option '{key}' names {str(reference)!r}, which cannot be imported: "
                         f"{type(exc).__name__}: {exc}") from None


def _plain(value: Any) -> Any:
    """Callable references as their plain text, so a worker needs no fuseflow.schemas to read them."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, str) else value
