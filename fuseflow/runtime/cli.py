"""The command line of a generated module: `python wf.py [-p NAME=VALUE ...] ...`.

Targets add their own flags (Ray's --address, ...) through `extra_arguments`
and run the workflow their way through `runner`; parsing params, printing
outputs and reporting failures are the same for all of them, and for
`fusec run`.

Exit status: 0 fine, 1 a node failed, 2 usage (a bad param, --set or --rerun,
or a backend not installed; nothing ran), 130 interrupted (Ctrl-C), 141 the
reader of stdout went away (`| head`).
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias, TypeVar

from .extras import MissingExtra
from .invoke import NodeFailed
from .outputs import print_outputs, stdout_closed
from .overrides import parse_set
from .params import ParamError, parse_assignments

if TYPE_CHECKING:  # for annotations only: `fusec` imports this module for its flags, without the run machinery
    from .graph import Workflow
    from .prepare import RunSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# The workflow a target's runner takes: its own subclass (Ray's carries its `workflow:` options).
WorkflowT = TypeVar("WorkflowT", bound="Workflow")
# How a target runs it: (the workflow, params, settings, the parsed command line) -> {output name: value}.
Runner: TypeAlias = "Callable[[WorkflowT, dict[str, Any], RunSettings, argparse.Namespace], dict[str, Any]]"


def base_parser(wf: Workflow, description: str) -> argparse.ArgumentParser:
    params = [f"  {p.name}: {p.type}" + (" (required)" if p.required else f" = {p.default!r}") for p in wf.params]
    epilog = "params:\n" + "\n".join(params) if params else "This workflow has no params."
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=epilog)
    add_run_flags(parser, param_help="set a param (repeatable); a value in .fuse/JSON spelling, a str param as it is",
                  storage_help="where results are kept (file:PATH, PATH or s3://...)")
    return parser


def add_run_flags(parser: argparse.ArgumentParser, *, param_help: str, storage_help: str) -> None:
    """The flags every way of running a workflow shares: `python wf.py` and `fusec run`."""
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help=param_help)
    parser.add_argument("--storage", metavar="URL", help=storage_help)
    parser.add_argument("--json", action="store_true", help="print the outputs as one JSON object")
    parser.add_argument("--rerun", metavar="REGEX", help="recompute matching nodes and everything downstream")
    parser.add_argument("--no-cache", action="store_true", help="neither load nor store results")
    parser.add_argument("--set", action="append", default=[], metavar="REGEX:KEY=VALUE",
                        help="override an option of the matching nodes (repeatable)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="live progress display (default: on when stderr is a terminal)")


def settings_from(args: argparse.Namespace) -> RunSettings:
    """RunSettings from the common flags; ParamError for a malformed -p or --set."""
    from .prepare import RunSettings  # deferred: the engine and storage load when a run starts, not for the flags

    return RunSettings(storage=args.storage, no_cache=args.no_cache, rerun=args.rerun,
                       progress=getattr(args, "progress", None), overrides=[parse_set(s) for s in args.set],
                       param_texts=parse_assignments(args.param))


def main(wf: WorkflowT, argv: Sequence[str] | None = None, *, description: str | None = None,
         extra_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
         runner: Runner[WorkflowT] | None = None) -> int:
    """Parse the command line, run, print the outputs; the process exit status."""
    parser = base_parser(wf, description or f"Run workflow '{wf.name}' (compiled from {wf.source}).")
    if extra_arguments:
        extra_arguments(parser)
    try:
        return _run(wf, parser.parse_args(argv), runner)
    except BrokenPipeError:
        return stdout_closed()
    except (ParamError, MissingExtra) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(wf: WorkflowT, args: argparse.Namespace, runner: Runner[WorkflowT] | None) -> int:
    from .execute import run  # deferred: the engine and storage load when a run starts, not for the flags

    with plain_warnings(), json_only_on_stdout(args.json):
        try:
            settings = settings_from(args)
            outputs = runner(wf, {}, settings, args) if runner is not None else run(wf, {}, settings)
        except NodeFailed as exc:
            report_failure(exc, stored=not args.no_cache)
            return EXIT_FAILED
        except KeyboardInterrupt:
            report_interrupt(stored=not args.no_cache)
            return EXIT_INTERRUPTED
    print_outputs(outputs, args.json)
    return EXIT_OK


def report_failure(exc: NodeFailed, stored: bool = True) -> None:
    sys.stderr.write(f"error: {exc}\n\nTraceback of node '{exc.node}':\n{exc.user_traceback}")
    if stored:
        sys.stderr.write("Results finished before the failure are stored; the next run reuses them.\n")


def report_interrupt(stored: bool = True) -> None:
    kept = " Results finished so far are stored; the next run reuses them." if stored else ""
    sys.stderr.write(f"\ninterrupted.{kept}\n")


@contextlib.contextmanager
def plain_warnings() -> Iterator[None]:
    """Warnings as one `warning: ...` line on stderr, without Python's source echo."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        (file or sys.stderr).write(f"warning: {message}\n")

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


@contextlib.contextmanager
def json_only_on_stdout(enabled: bool) -> Iterator[None]:
    """With --json, what nodes print goes to stderr, so stdout holds the one JSON object."""
    if not enabled:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield
