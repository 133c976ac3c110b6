"""Printing a run's outputs: as text, or with `--json` as one JSON object.

Printing happens after the run succeeded and its results are stored, so it
never fails: a value JSON has no form for is written in a stand-in form, and
a warning on stderr names the output (docs/running.md):

    NaN, inf, -inf            -> null
    tuple, set, frozenset     -> a list
    NumPy arrays and scalars  -> lists and numbers (their .tolist())
    dict keys                 -> strings, as json.dumps writes them (1 -> "1", true -> "true")
    anything else             -> its repr() as a string
    a value that contains itself, or nests too deeply -> the repr() of the whole output
    a repr() that raises      -> "<Foo object; repr() raised ValueError>"

With --summary, what the run did (runtime.summary) comes with them: in the --json
object, `{"outputs": {...}, "summary": {...}}`; without --json, one line on stderr.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only: a run without --summary never loads it
    from .summary import Summary

_SCALARS = (str, int, float, bool, type(None))
Notes = dict[str, dict[str, None]]  # output name -> why parts of it are shown in a stand-in form (in order, once each)


def note(notes: Notes, name: str, why: str) -> None:
    notes.setdefault(name, {})[why] = None


def print_outputs(outputs: dict[str, Any], as_json: bool, summary: Summary | None = None) -> None:
    """One value alone, several as `name = value` lines, or one JSON object (`as_json`). With a
    `summary` (--summary): with `as_json`, one object {"outputs": {...}, "summary": {...}}; else
    the outputs as they are and the summary as one line on stderr."""
    notes: Notes = {}
    with all_digits():
        text = _outputs_text(outputs, as_json, notes)
    for name, whys in notes.items():
        sys.stderr.write(f"warning: output '{name}' {'; '.join(whys)}\n")
    if summary is not None and as_json:
        text = f'{{"outputs": {text}, "summary": {json.dumps(summary.as_json())}}}'
    write_text(text + "\n")
    if summary is not None and not as_json:
        sys.stderr.write(f"summary: {summary.text()}\n")


@contextlib.contextmanager
def all_digits() -> Iterator[None]:
    """Ints of any length in decimal: Python's 4300-digit limit guards the parsing of
    untrusted text, not the printing of a run's own result."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


def _outputs_text(outputs: dict[str, Any], as_json: bool, notes: Notes) -> str:
    if as_json:  # the object json.dumps would write, one output at a time
        members = (f"{json.dumps(name)}: {json_text(name, value, notes)}" for name, value in outputs.items())
        return "{" + ", ".join(members) + "}"
    if len(outputs) == 1:
        name, value = next(iter(outputs.items()))
        return plain_text(name, value, notes)
    return "\n".join(f"{name} = {plain_text(name, value, notes)}" for name, value in outputs.items())


EXIT_CLOSED = 141  # 128 + SIGPIPE: what the shell shows for `cat` or `git log` cut off by `| head`


def stdout_closed() -> int:
    """The reader of stdout went away (`fusec nodes FILE | head -1`): stop quietly, with
    the status of a program SIGPIPE ended, as `cat` or `git` do. What is still buffered
    goes to /dev/null, so Python's own flush at exit has nothing to complain about."""
    with contextlib.suppress(OSError, ValueError):  # a stdout that is no file (a test's capture)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_CLOSED


def write_text(text: str) -> None:
    """Write to stdout; what its encoding cannot hold (a lone surrogate) goes as a backslash escape."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    sys.stdout.write(text)
    sys.stdout.flush()


def plain_text(name: str, value: Any, notes: Notes) -> str:
    """A str as it is, anything else as its repr()."""
    if isinstance(value, str):
        return str.__str__(value)  # a str subclass's own __str__ is not asked
    return safe_repr(name, value, notes)


def safe_repr(name: str, value: Any, notes: Notes) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__, or one nesting too deeply (RecursionError)
        return _unshowable(name, value, exc, notes)


def _unshowable(name: str, value: Any, error: Exception, notes: Notes) -> str:
    stand_in = f"<{type(value).__name__} object; repr() raised {type(error).__name__}>"
    note(notes, name, f"holds a {type(value).__name__} whose repr() raises {type(error).__name__}, shown as {stand_in}")
    return stand_in


class _WholeOutput(Exception):
    """The output cannot be walked item by item (it contains itself, or nests too deeply)."""


def json_text(name: str, value: Any, notes: Notes) -> str:
    """The output as JSON text (module docstring); `notes` says why, when it is not exactly the value."""
    try:
        return json.dumps(_ready(name, value, notes, set()))
    except (_WholeOutput, RecursionError) as exc:
        why = str(exc) if isinstance(exc, _WholeOutput) else "nests too deeply for JSON"
        note(notes, name, f"{why}, written as its repr()")
        return json.dumps(safe_repr(name, value, notes))


def _ready(name: str, value: Any, notes: Notes, inside: set[int]) -> Any:
    if isinstance(value, _SCALARS):
        return _scalar(name, value, notes)
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        if id(value) in inside:
            raise _WholeOutput("contains itself")
        inside.add(id(value))
        try:
            if isinstance(value, dict):
                return {_key(name, k, notes): _ready(name, v, notes, inside) for k, v in value.items()}
            return [_ready(name, v, notes, inside) for v in value]
        finally:
            inside.discard(id(value))
    listed = _tolist(value)
    if listed is not value:
        return _ready(name, listed, notes, inside)
    try:
        text = repr(value)
    except Exception as exc:
        return _unshowable(name, value, exc, notes)
    note(notes, name, f"holds a {type(value).__name__}, written as its repr() (JSON has no form for it)")
    return text


def _scalar(name: str, value: Any, notes: Notes) -> Any:
    """The plain str, int, float or bool (subclasses such as IntEnum too); NaN and infinities as null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        note(notes, name, "holds NaN or an infinity, written as null (JSON has no number for them)")
        return None
    return str.__str__(value) if isinstance(value, str) else int.__int__(value)


def _key(name: str, key: Any, notes: Notes) -> Any:
    """A dict key json.dumps can write (it writes 1 as "1", true as "true"); another kind as its repr()."""
    if isinstance(key, _SCALARS):
        return _scalar(name, key, notes)
    note(notes, name, f"holds a {type(key).__name__} key, written as its repr() (JSON keys are strings)")
    return safe_repr(name, key, notes)


def _tolist(value: Any) -> Any:
    """A NumPy array or scalar as lists and Python numbers; anything else (or a failing tolist) as it is."""
    tolist = getattr(type(value), "tolist", None)
    if tolist is None:
        return value
    try:
        return tolist(value)
    except Exception:
        return value
