"""The command line of a generated module: `python wf.py [-p NAME=VALUE ...] ...`.

Targets add their own flags (Ray's --address, ...) through `extra_arguments`
and run the workflow their way through `runner`; parsing params, printing
outputs and reporting failures are the same for all of them.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Sequence

from .invoke import NodeFailed
from .params import ParamError, parse_assignments
from .overrides import parse_set

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def base_parser(wf, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    params = ", ".join(f"{p.name}: {p.type}" + ("" if p.required else f" = {p.default!r}") for p in wf.params)
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help=f"set a param (repeatable); params: {params or 'none'}")
    parser.add_argument("--storage", metavar="URL", help="where results are kept (file:PATH, PATH or s3://...)")
    parser.add_argument("--json", action="store_true", help="print the outputs as one JSON object")
    parser.add_argument("--rerun", metavar="REGEX", help="recompute matching nodes and everything downstream")
    parser.add_argument("--no-cache", action="store_true", help="neither load nor store results")
    parser.add_argument("--set", action="append", default=[], metavar="REGEX:KEY=VALUE",
                        help="override an option of the matching nodes (repeatable)")
    return parser


def main(wf, argv: Sequence[str] | None = None, *, description: str | None = None,
         extra_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
         runner: Callable[[Any, dict, Any, argparse.Namespace], dict] | None = None) -> int:
    """Parse the command line, run, print the outputs; the process exit status."""
    from .execute import RunSettings, run

    parser = base_parser(wf, description or f"Run workflow '{wf.name}' (compiled from {wf.source}).")
    if extra_arguments:
        extra_arguments(parser)
    args = parser.parse_args(argv)
    try:
        settings = RunSettings(storage=args.storage, no_cache=args.no_cache, rerun=args.rerun,
                               overrides=[parse_set(s) for s in args.set],
                               param_texts=parse_assignments(args.param))
        outputs = (runner or (lambda w, p, s, a: run(w, p, s)))(wf, {}, settings, args)
    except ParamError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NodeFailed as exc:
        report_failure(exc)
        return EXIT_FAILED
    print_outputs(outputs, args.json)
    return EXIT_OK


def report_failure(exc: NodeFailed) -> None:
    sys.stderr.write(f"error: {exc}\n\nTraceback of node '{exc.node}':\n{exc.user_traceback}")
    sys.stderr.write("Results finished before the failure are stored; the next run reuses them.\n")


def print_outputs(outputs: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(outputs, default=_jsonable, sort_keys=False))
    elif len(outputs) == 1:
        print(_text(next(iter(outputs.values()))))
    else:
        for name, value in outputs.items():
            print(f"{name} = {_text(value)}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _jsonable(value: Any) -> Any:
    """numpy arrays and scalars as lists and numbers; anything else as its repr."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)
