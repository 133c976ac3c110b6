"""How a run ends on a command line: its outputs printed, or its node's failure or
the Ctrl-C that stopped it reported; the exit status. One function for `python
wf.py` (runtime.cli), `fusec run` and a Ray job's driver, so all three end alike.

    return run_and_report(lambda: run(wf, {}, settings), as_json=args.json, stored=not args.no_cache,
                          summary=settings.summary)
"""
from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from .invoke import NodeFailed, RunFailed
from .outputs import print_outputs

if TYPE_CHECKING:  # for annotations only: a run without --summary never loads it
    from .summary import Summary

# show(outputs, as_json, summary): how the outputs (and the summary, when asked for) are printed
Show = Callable[[dict[str, Any], bool, "Summary | None"], None]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def run_and_report(run: Callable[[], dict[str, Any]], *, as_json: bool, stored: bool,
                   summary: Summary | None = None, show: Show = print_outputs) -> int:
    """Call `run` with warnings as plain lines (and, with --json, what nodes print on
    stderr), then `show` its outputs (and `summary`, which the run filled in: --summary):
    EXIT_OK; a node's failure or Ctrl-C reported instead: EXIT_FAILED, EXIT_INTERRUPTED.
    `stored`: results are kept (not --no-cache), so the report says the next run reuses
    them. Anything else `run` raises goes to the caller."""
    with plain_warnings(), json_only_on_stdout(as_json):
        try:
            outputs = run()
        except NodeFailed as exc:
            report_failure(exc, stored)
            return EXIT_FAILED
        except RunFailed as exc:
            sys.stderr.write(f"error: {exc}\n")
            if stored:
                sys.stderr.write("Results finished before the failure are stored; the next run reuses them.\n")
            return EXIT_FAILED
        except KeyboardInterrupt:
            report_interrupt(stored)
            return EXIT_INTERRUPTED
    show(outputs, as_json, summary)
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
