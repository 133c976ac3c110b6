"""A fuseflow job on a Ray cluster, seen from here: sending it, following it, `fusec jobs`.

    fusec jobs status ID --address http://head:8265 [--json]
    fusec jobs logs ID --address http://head:8265 [--follow]
    fusec jobs stop ID --address http://head:8265

The job's driver (fuseflow.targets.ray.job) writes two kinds of lines for
fusec into its log, each starting with the job's marker (a random word in its
`fuseflow_marker` metadata, so no output of a node can pass for one):
`MARKER progress ["started", "train"]`, a move for the progress display
(fuseflow.runtime.progress.EventProgress), and `MARKER outputs {"text": ...,
"json": ...}`, the exact text `fusec run` would print on stdout, without and
with --json, on one line.
Following a job (`follow`: `fusec submit` and `fusec jobs logs --follow`)
streams the log to stderr without those lines, draws the display here, prints
the outputs on stdout and exits with the job's status: 0 it succeeded, 1 a
node failed (the driver printed its error, as `fusec run` does) or the job
failed or was stopped, 2 the driver refused its inputs, 130 interrupted here
(the job goes on).
"""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from ..submit import reason

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
ENDED = ("SUCCEEDED", "FAILED", "STOPPED")
QUIET_LOGGERS = ("ray.dashboard.modules.dashboard_sdk", "ray.dashboard.modules.job.sdk",
                 "ray._private.runtime_env.packaging", "ray._private.runtime_env.working_dir",
                 "ray._private.runtime_env.py_modules")


class JobServerError(Exception):
    """The job server could not be reached, refused a request, or does not know the job."""


# --- sending ---------------------------------------------------------------------------


def connect(address: str, needed_by: str = "fusec submit --target ray") -> Any:
    """A JobSubmissionClient of the job server at `address`; JobServerError if it cannot be reached."""
    # deferred: Ray's job client, loaded when a job is sent or followed
    from ...runtime.extras import optional

    with optional("ray", needed_by):
        from ray.job_submission import JobSubmissionClient  # optional backend: the ray extra
    for name in QUIET_LOGGERS:  # "Uploading package ...": fusec says what it sends itself
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        return JobSubmissionClient(address)
    except Exception as exc:  # requests' ConnectionError, Ray's own RuntimeError and ValueError
        raise JobServerError(f"could not reach the Ray job server at {address}: {reason(exc)}") from None


def submit(client: Any, submission: Any, zipped: Path, address: str) -> str:
    """Upload the zipped folder (and fuseflow) and start the job; its submission id."""
    runtime_env = {**submission.runtime_env, "working_dir": str(zipped)}
    try:
        return client.submit_job(entrypoint=submission.entrypoint, runtime_env=runtime_env,
                                 metadata=submission.metadata)
    except Exception as exc:  # an upload or a submission the server refused
        raise JobServerError(f"the Ray job server at {address} refused the job: {reason(exc)}") from None


# --- following ---------------------------------------------------------------------------


class LogReader:
    """The job's log, a chunk at a time: plain lines to stderr, the marker's lines taken out."""

    def __init__(self, marker: str | None, progress: Any = None):
        self.marker = marker
        self.progress = progress
        self.outputs: dict[str, str] | None = None  # {"text": as printed, "json": as printed with --json}
        self.pending = ""

    def feed(self, chunk: str) -> None:
        lines = (self.pending + chunk).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self.line(line)

    def close(self) -> None:
        if self.pending:
            self.line(self.pending)
            self.pending = ""

    def line(self, line: str) -> None:
        text = self.take(line)
        if text is not None:
            sys.stderr.write(text + "\n")  # sys.stderr as it is now: the live display may have replaced it

    def take(self, line: str) -> str | None:
        """What of `line` is plain log text (None: nothing); a marker line is taken in."""
        if not self.marker or self.marker not in line:
            return line
        before, _, rest = line.partition(self.marker)
        kind, _, payload = rest.strip().partition(" ")
        if kind == "progress" and self._progress(payload):
            return before or None
        if kind == "outputs":
            try:
                outputs = json.loads(payload)
            except ValueError:
                return line
            if isinstance(outputs, dict) and {type(outputs.get(k)) for k in ("text", "json")} == {str}:
                self.outputs = outputs
                return before or None
        return line

    def _progress(self, payload: str) -> bool:
        # deferred: the runtime's display, once the job reports progress
        from ...runtime.progress import Progress, replay

        return replay(self.progress or Progress(), payload)


def follow(client: Any, job_id: str, address: str, *, label: str | None = None, progress: bool = False,
           as_json: bool | None = None) -> int:
    """Stream the job's log to stderr until it ends (the display drawn here with
    `progress`), print its outputs on stdout; the exit status of its end."""
    # deferred: the runtime's display and printing, when a job is followed
    from ...runtime.outputs import write_text
    from ...runtime.progress import Progress, make_progress

    info = job_info(client, job_id, address)
    marker = (info.metadata or {}).get("fuseflow_marker")
    display = make_progress(True, label=label or job_id) if progress else Progress()
    reader = LogReader(marker, display)
    try:
        with display:
            asyncio.run(_tail(client, job_id, reader))
            reader.close()
            info = wait_for_end(client, job_id, address)
    except KeyboardInterrupt:
        sys.stderr.write(f"\ninterrupted; the job goes on: fusec jobs stop {job_id} --address {address}\n")
        return EXIT_INTERRUPTED
    status = info.status.value
    if status == "SUCCEEDED":
        if reader.outputs is not None:
            write_text(reader.outputs["text"])
        return EXIT_OK
    return ended_badly(info, job_id, marker)


async def _tail(client: Any, job_id: str, reader: LogReader) -> None:
    try:
        async for chunk in client.tail_job_logs(job_id):
            reader.feed(chunk)
    except Exception as exc:  # the log stream broke off (a restarted dashboard): the status still tells
        sys.stderr.write(f"warning: the job's log stopped: {reason(exc)}\n")


def wait_for_end(client: Any, job_id: str, address: str, timeout: float = 60) -> Any:
    """The job's info once it has ended (the log ends a moment before the status says so)."""
    deadline = time.monotonic() + timeout
    while True:
        info = job_info(client, job_id, address)
        if info.status.value in ENDED or time.monotonic() > deadline:
            return info
        time.sleep(0.2)


def ended_badly(info: Any, job_id: str, marker: str | None) -> int:
    """The exit status of a job that failed or was stopped, with a line saying so unless
    its driver said it already (a node's failure, a refused input)."""
    code = info.driver_exit_code
    if info.status.value == "STOPPED":
        print(f"fusec: error: job {job_id} was stopped", file=sys.stderr)
        return EXIT_FAILED
    if marker and code in (EXIT_FAILED, EXIT_USAGE):  # fuseflow's driver printed why
        return code
    why = (info.message or "").strip() or f"its driver exited with status {code}"
    print(f"fusec: error: job {job_id} failed: {why}", file=sys.stderr)
    return EXIT_FAILED


def job_info(client: Any, job_id: str, address: str) -> Any:
    try:
        return client.get_job_info(job_id)
    except Exception as exc:  # RuntimeError: no such job, or the server failed
        raise JobServerError(f"could not get job {job_id} from {address}: {reason(exc)}") from None


# --- fusec jobs ------------------------------------------------------------------------------


def add_parser(sub) -> None:
    p = sub.add_parser("jobs", help="follow a Ray job `fusec submit --target ray` sent: status, logs, stop",
                       description="Follow a job that `fusec submit --target ray --no-wait` sent to a Ray "
                                   "cluster (Ray's Jobs API). Needs ray[default]. See docs/ray.md.")
    actions = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    for name, summary in (("status", "the job's status (with --json: and its outputs)"),
                          ("logs", "the job's log so far; --follow: until it ends, then its outputs and status"),
                          ("stop", "stop the job")):
        action = actions.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".")
        action.add_argument("id", metavar="ID", help="the job's submission id, as `fusec submit --no-wait` printed it")
        action.add_argument("--address", required=True, metavar="URL",
                            help="the cluster's job server (its dashboard), e.g. http://head:8265")
        action.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
        if name == "status":
            action.add_argument("--json", action="store_true", help="one JSON object: status, message, outputs")
        if name == "logs":
            action.add_argument("--follow", "-f", action="store_true",
                                help="stream the log until the job ends (on stderr), print its outputs and exit "
                                     "with its status, as `fusec submit` does")
            action.add_argument("--progress", action="store_true", default=None,
                                help="with --follow: draw the progress display (default: on a terminal)")
            action.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                                help="no progress display")
        action.set_defaults(func=_COMMANDS[name])


def _command(run):
    """A `fusec jobs` action: JobServerError as one line and exit status 1."""

    def command(args) -> int:
        try:
            return run(args, connect(args.address, "fusec jobs"))
        except JobServerError as exc:
            print(f"fusec: error: {exc}", file=sys.stderr)
            return EXIT_FAILED

    return command


def cmd_status(args, client) -> int:
    info = job_info(client, args.id, args.address)
    status = info.status.value
    if not args.json:
        message = f" ({info.message.strip()})" if info.message and info.message.strip() else ""
        print(f"{args.id}: {status}{message}")
        return EXIT_OK
    found = json.dumps({"id": args.id, "status": status, "message": info.message, "exit_code": info.driver_exit_code,
                        "start_time": info.start_time, "end_time": info.end_time})
    outputs = "null"
    if status == "SUCCEEDED":
        reader = LogReader((info.metadata or {}).get("fuseflow_marker"))
        for line in _logs(client, args.id, args.address).split("\n"):
            reader.take(line)
        outputs = reader.outputs["json"].strip() if reader.outputs else "null"
    print(f"{found[:-1]}, \"outputs\": {outputs}}}")  # the job's JSON text as it is (ints of any length)
    return EXIT_OK


def cmd_logs(args, client) -> int:
    if args.follow:
        progress = sys.stderr.isatty() if args.progress is None else args.progress
        return follow(client, args.id, args.address, progress=progress)
    info = job_info(client, args.id, args.address)
    reader = LogReader((info.metadata or {}).get("fuseflow_marker"))
    for line in _logs(client, args.id, args.address).rstrip("\n").split("\n"):
        text = reader.take(line)
        if text is not None:
            sys.stdout.write(text + "\n")
        elif reader.outputs is not None:  # the outputs, where the job printed them
            sys.stdout.write(reader.outputs["text"])
            reader.outputs = None
    return EXIT_OK


def cmd_stop(args, client) -> int:
    info = job_info(client, args.id, args.address)
    if info.status.value in ENDED:
        print(f"job {args.id} had ended already: {info.status.value}")
        return EXIT_OK
    try:
        client.stop_job(args.id)
    except Exception as exc:  # RuntimeError from the server
        raise JobServerError(f"could not stop job {args.id} at {args.address}: {reason(exc)}") from None
    print(f"stopping job {args.id}")
    return EXIT_OK


def _logs(client: Any, job_id: str, address: str) -> str:
    try:
        return client.get_job_logs(job_id)
    except Exception as exc:  # RuntimeError from the server
        raise JobServerError(f"could not get the log of job {job_id} from {address}: {reason(exc)}") from None


_COMMANDS = {"status": _command(cmd_status), "logs": _command(cmd_logs), "stop": _command(cmd_stop)}
