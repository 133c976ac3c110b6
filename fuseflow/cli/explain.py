"""`fusec explain FILE`: which nodes a run would load and which it would run, and why.

    fusec explain flows/models.fuse -p noise=0.3 --storage s3://bucket/runs --rerun 'model\\..*'

The work is done by fuseflow.runtime.explain; this module compiles the file
in memory (as `fusec run` does), resolves params, storage and --rerun the
same way, and prints a table (or JSON with --json). Nothing runs and nothing
is written. Exit status: 0 fine, 1 the input has errors, 2 usage error, 70 internal
error (a bug in fusec; --debug shows its traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..compiler.errors import UsageError
from ..runtime.params import ParamError, parse_assignments
from .inputs import expanded_as_stored, load
from .storage import table


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("explain", help="show which nodes a run would load or run, and why",
                              description="Compare each node's cache key with the stored results: list every node as "
                                          "stored or to run and, for each one that would run, why (never stored, a "
                                          "param or an upstream result changed, its function's source changed, "
                                          "--rerun). Runs nothing.",
                              epilog="Exit status: 0 fine, 1 the input has errors, 2 usage error, "
                                     "70 internal error (a bug in fusec; --debug shows its traceback).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="set a param (repeatable)")
    p.add_argument("--storage", metavar="URL", help="where results are kept (default: as `fusec run` would use)")
    p.add_argument("--rerun", metavar="REGEX",
                   help="as for `fusec run`: nodes forced to run, with what depends on them")
    p.add_argument("--set", action="append", default=[], metavar="REGEX:KEY=VALUE",
                   help="override an option, as for `fusec run` (a seed changes keys)")
    p.add_argument("--json", action="store_true", help="one JSON object per node, one per line")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    p.add_argument("-D", dest="defines", action="append", metavar="NAME=VALUE", default=[],
                   help="override a `let` constant (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        rows, url = explain_file(args)
    except ParamError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        for row in rows:
            print(json.dumps({"node": row.node, "status": row.status, "reasons": row.reasons, "key": row.key}))
        return 0
    lines = [("NODE", "STATUS", "WHY")] + [(r.node, r.status, "; ".join(r.reasons)) for r in rows]
    print(table(lines))
    counts = {status: sum(r.status == status for r in rows) for status in ("run", "stored", "not needed", "skipped")}
    skipped = f", {counts['skipped']} skipped" if counts["skipped"] else ""
    print(f"{counts['run']} to run, {counts['stored']} stored, {counts['not needed']} not needed{skipped} ({url})",
          file=sys.stderr)
    return 0


def explain_file(args: argparse.Namespace):
    """(rows, storage URL) for the file and settings in ``args``."""
    # deferred: the engine and the storage layer load when explain runs, not when `fusec --help` builds its parser
    from ..runtime import explain as explaining
    from ..runtime.bind import bind, import_path
    from ..runtime.overrides import parse_set
    from ..runtime.prepare import RunSettings, prepare

    ir = load(args.file, args.defines)
    settings = RunSettings(storage=args.storage, rerun=args.rerun, overrides=[parse_set(s) for s in args.set],
                           param_texts=parse_assignments(args.param))
    with import_path(Path(args.file).resolve().parent):  # the workflow's modules, as `fusec run` finds them
        wf = expanded_as_stored(bind(ir, args.file), settings)  # run-time loops whose items are stored
        plan = prepare(wf, {}, settings, warn_shared=False, part=bool(wf.fanouts or wf.decisions))
        rows = explaining.explain(plan)
    return rows, plan.store.url
