"""The command line of a generated module: `python wf.py [-p NAME=VALUE ...] ...`.

Targets add their own flags (Ray's --address, ...) through `extra_arguments`
and run the workflow their way through `runner`; the flags and the settings
they give (runtime.flags) and how a run ends (runtime.report: outputs
printed, a failure or Ctrl-C reported) are the same for all of them, for
`fusec run` and for a Ray job's driver.

Exit status: 0 fine, 1 a node failed, 2 usage (a bad param, --set or --rerun,
or a backend not installed; nothing ran), 130 interrupted (Ctrl-C), 141 the
reader of stdout went away (`| head`).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from .extras import MissingExtra
from .flags import RUN_FLAGS, add_flags, settings_from, summary_from
from .outputs import stdout_closed
from .params import ParamError
from .report import EXIT_USAGE, run_and_report

if TYPE_CHECKING:  # for annotations only: the run machinery loads when a run starts
    from .graph import Workflow
    from .prepare import RunSettings

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
    """The flags every way of running a workflow shares (runtime.flags): `python wf.py`, `fusec run`, a Ray job."""
    add_flags(parser, RUN_FLAGS, {"param": param_help, "storage": storage_help})


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

    summary = summary_from(args)

    def go() -> dict[str, Any]:
        settings = settings_from(args, summary)
        return runner(wf, {}, settings, args) if runner is not None else run(wf, {}, settings)

    return run_and_report(go, as_json=args.json, stored=not args.no_cache, summary=summary)
