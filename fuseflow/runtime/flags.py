"""The flags of a command line that runs a workflow, as data: `python wf.py`,
`fusec run` and a Ray job's driver share them, and the settings they give.

    add_flags(parser, RUN_FLAGS)                     # argparse: help, errors, every spelling
    read_plain(["wf.fuse", "--no-cache"], RUN_FLAGS, "file")  # the plain spellings, without argparse

`read_plain` gives the values argparse would give for the plain spellings of
a line (each flag by its full name, a value after it or after `=`, the
positional words together) and None for any other line, which argparse then reads, so help,
abbreviations and every error come from argparse alone. Why two readers:
importing argparse and building a parser is some 5 ms, a tenth of what
`fusec run` of a small workflow costs as a whole process.
(tests/test_cli_plain_run.py holds the two to the same values.)
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..ir.record import record
from .overrides import parse_set
from .params import parse_assignments

if TYPE_CHECKING:  # for annotations only: the plain reader never loads argparse
    import argparse

    from .prepare import RunSettings
    from .summary import Summary

STORE, APPEND, STORE_TRUE, SWITCH = "store", "append", "store_true", "switch"


@record
class Flag:
    """One flag. action: STORE (takes a value), APPEND (a value, repeatable),
    STORE_TRUE (alone), SWITCH (`--x` is True, `--no-x` False, default None)."""

    names: tuple[str, ...]
    dest: str
    action: str
    help: str
    metavar: str | None = None
    default: Any = None


RUN_FLAGS = (
    Flag(("-p", "--param"), "param", APPEND, "set a param (repeatable)", "NAME=VALUE"),
    Flag(("--storage",), "storage", STORE, "where results are kept", "URL"),
    Flag(("--json",), "json", STORE_TRUE, "print the outputs as one JSON object"),
    Flag(("--rerun",), "rerun", STORE, "recompute matching nodes and everything downstream", "REGEX"),
    Flag(("--no-cache",), "no_cache", STORE_TRUE, "neither load nor store results"),
    Flag(("--set",), "set", APPEND, "override an option of the matching nodes (repeatable)", "REGEX:KEY=VALUE"),
    Flag(("--progress",), "progress", SWITCH, "live progress display (default: on when stderr is a terminal)"),
    Flag(("--summary",), "summary", STORE_TRUE, "also report what the run did: nodes computed, loaded and skipped, "
                                                 "the branch each `if` took (with --json: in the JSON object)"),
)


def add_flags(parser: argparse.ArgumentParser, flags: Iterable[Flag], helps: dict[str, str] | None = None) -> None:
    """Add `flags` to an argparse parser; `helps`: other help texts, by dest."""
    import argparse  # loaded already (there is a parser); not at the top, so that read_plain runs without it

    helps = helps or {}
    for flag in flags:
        text = helps.get(flag.dest, flag.help)
        if flag.action == SWITCH:
            parser.add_argument(*flag.names, dest=flag.dest, action=argparse.BooleanOptionalAction, default=None,
                                help=text)
        elif flag.action == STORE_TRUE:
            parser.add_argument(*flag.names, dest=flag.dest, action="store_true", help=text)
        elif flag.action == APPEND:
            parser.add_argument(*flag.names, dest=flag.dest, action="append", default=[], metavar=flag.metavar,
                                help=text)
        else:
            parser.add_argument(*flag.names, dest=flag.dest, default=flag.default, metavar=flag.metavar, help=text)


def read_plain(argv: Sequence[str], flags: Iterable[Flag], positional: str,
               many: bool = False) -> dict[str, Any] | None:
    """{dest: value} as argparse reads `argv` with `flags` and a required positional (`many`:
    one or more words, as nargs="+", a list), when every word is spelled plainly; None
    otherwise (module docstring)."""
    by_name = {name: flag for flag in flags for name in spellings(flag)}
    values: dict[str, Any] = {flag.dest: initial(flag) for flag in by_name.values()}
    words: list[str] = []  # the positional's
    closed = False  # a flag came after them: argparse takes the positional's words in one stretch
    at = 0
    while at < len(argv):
        word = argv[at]
        at += 1
        if not word.startswith("-"):
            if closed or (words and not many):
                return None  # argparse says it is not recognized
            words.append(word)
            continue
        closed = bool(words)
        name, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        flag = by_name.get(name)
        if flag is None:  # -h, an abbreviation, a short flag with its value attached, `--`, `-`
            return None
        if flag.action in (STORE_TRUE, SWITCH):
            if equals:
                return None  # argparse refuses a value here
            values[flag.dest] = flag.action == STORE_TRUE or not name.startswith("--no-")
            continue
        if not equals:
            if at == len(argv) or argv[at].startswith("-"):  # no value, or one argparse may take for a flag
                return None
            value = argv[at]
            at += 1
        if flag.action == APPEND:
            values[flag.dest].append(value)
        else:
            values[flag.dest] = value
    if not words:
        return None  # argparse says the positional is required
    values[positional] = words if many else words[0]
    return values


def initial(flag: Flag) -> Any:
    """A flag's value when the line does not give it, as argparse sets it (add_flags)."""
    if flag.action == APPEND:
        return []
    return False if flag.action == STORE_TRUE else flag.default


def spellings(flag: Flag) -> tuple[str, ...]:
    """The words that give a flag: its names, and a SWITCH's `--no-` forms."""
    if flag.action != SWITCH:
        return flag.names
    return flag.names + tuple("--no-" + name[2:] for name in flag.names if name.startswith("--"))


def settings_from(args: Any, summary: Summary | None = None) -> RunSettings:
    """RunSettings from the run flags' values (an argparse Namespace, or read_plain's
    values as attributes), `summary` the one the run fills in (summary_from); ParamError
    for a malformed -p or --set."""
    from .prepare import RunSettings  # deferred: the engine and storage load when a run starts, not for the flags

    return RunSettings(storage=args.storage, no_cache=args.no_cache, rerun=args.rerun,
                       progress=getattr(args, "progress", None), overrides=[parse_set(s) for s in args.set],
                       param_texts=parse_assignments(args.param), summary=summary)


def summary_from(args: Any) -> Summary | None:
    """A Summary for the run to fill in when the line says --summary (runtime.summary), else None."""
    if not getattr(args, "summary", False):
        return None
    from .summary import Summary  # deferred: only a run asked for its summary loads it

    return Summary()
