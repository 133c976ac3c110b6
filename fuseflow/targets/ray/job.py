"""The driver of a job that `fusec submit --target ray` sent, run on the cluster in the job's working_dir.

    python -u -m fuseflow.targets.ray.job wf.fuse --storage s3://bucket/runs -p n=5 --json --summary --progress

It reads the compiled workflow (JOB_FILE, the IR as JSON, put in the zipped
folder by fuseflow.targets.ray.package), not the .fuse file: the cluster
needs neither the compiler nor lark and Jinja2, and runs exactly what was
checked where it was submitted. It binds the IR to the modules beside the
.fuse file (the working_dir, its current directory) and runs it with the Ray
backend on the job's cluster, as `fusec run --target ray --address auto`
would, with the same flags, messages and exit statuses (0, 1 a node failed,
2 bad input, 130 interrupted).

For the `fusec` that follows the job (fuseflow.targets.ray.jobs), lines
start with the marker that $FUSEFLOW_JOB_MARKER names: the progress, with
--progress (fuseflow.runtime.progress.EventProgress), and at the end
`MARKER outputs {"text": <what fusec run prints>, "json": <the same with --json>}`.

The workflow's `init.runtime_env` is the job's own runtime_env already; the
driver's ray.init leaves it out (Ray refuses a ray.init that sets a field the
job sets) and lets its own PYTHONPATH (the backend's) win over the job's.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ... import ir
from ...runtime.bind import CannotImport, bind, import_path
from ...runtime.cli import add_run_flags
from ...runtime.extras import MissingExtra
from ...runtime.flags import settings_from, summary_from
from ...runtime.outputs import print_outputs
from ...runtime.params import ParamError
from ...runtime.progress import EVENTS_VARIABLE
from ...runtime.report import EXIT_FAILED, EXIT_USAGE, run_and_report
from ...runtime.summary import Summary

JOB_FILE = ".fuseflow-job.json"  # the compiled workflow, beside the .fuse file in the job's working_dir
MARKER_VARIABLE = "FUSEFLOW_JOB_MARKER"  # the prefix of the lines for fusec, set in the job's runtime_env


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fuseflow.targets.ray.job",
                                description="Run the workflow a Ray job was sent with (fusec submit --target ray).")
    p.add_argument("file", metavar="FILE", help="the .fuse file's name, in the working directory")
    add_run_flags(p, param_help="set a param (repeatable)", storage_help="where results are kept")
    p.add_argument("--max-pending", type=int, metavar="N", help="at most N tasks in flight")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    marker = os.environ.get(MARKER_VARIABLE)
    if args.progress and marker:
        os.environ[EVENTS_VARIABLE] = marker  # the display is drawn by the fusec that follows the job
    os.environ.setdefault("RAY_OVERRIDE_JOB_RUNTIME_ENV", "1")
    args.address = os.environ.get("RAY_ADDRESS") or "auto"  # the job's own cluster
    summary = summary_from(args)
    try:
        return run_and_report(lambda: run(args, summary), as_json=args.json, stored=not args.no_cache,
                              summary=summary,
                              show=lambda outputs, as_json, summary: send_outputs(outputs, as_json, marker, summary))
    except (ParamError, MissingExtra) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CannotImport as exc:
        print(f"error: {exc}\n(the job has the .fuse file's folder and the packages of its runtime_env; "
              f"a module from elsewhere must be installed on the cluster)", file=sys.stderr)
        return EXIT_FAILED


def run(args: argparse.Namespace, summary: Summary | None = None) -> dict:
    """Bind the shipped IR to the modules beside the .fuse file and run it on the job's cluster."""
    from . import backend  # imports Ray: the cluster has it; loaded once the arguments are read

    workflow = ir.Workflow.from_json(Path(JOB_FILE).read_text(encoding="utf-8"))
    home = Path.cwd() / args.file
    with import_path(home.parent):
        graph = bind(workflow, str(home), backend.Builders())
        graph.init = {key: value for key, value in graph.init.items() if key != "runtime_env"}  # the job's own
        return backend.run_command(graph, settings_from(args, summary), args)


def send_outputs(outputs: dict, as_json: bool, marker: str | None, summary: Summary | None = None) -> None:
    """The outputs as `fusec run` prints them (with --summary, the summary too: in the JSON
    object, or as a line on stderr, in the job's log); for fusec, on one marked line, with
    the outputs' JSON form too (`fusec jobs status --json`): `MARKER outputs {"text": ..., "json": ...}`."""
    text = printed(outputs, as_json, summary)
    if not marker:
        sys.stdout.write(text)
        return
    with contextlib.redirect_stderr(io.StringIO()):  # its warnings went with the form asked for
        data = text if as_json and summary is None else printed(outputs, True)
    sys.stdout.write(f"{marker} outputs {json.dumps({'text': text, 'json': data})}\n")
    sys.stdout.flush()


def printed(outputs: dict, as_json: bool, summary: Summary | None = None) -> str:
    """What print_outputs writes on stdout."""
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        print_outputs(outputs, as_json, summary)
    return text.getvalue()


if __name__ == "__main__":
    sys.exit(main())
