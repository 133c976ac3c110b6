"""`fusec submit FILE --target ray --address http://HEAD:8265`: the workflow as a Ray job.

    fusec submit wf.fuse --target ray --address http://head:8265 -p n=500 --storage s3://bucket/runs
    fusec submit wf.fuse --target ray --address http://head:8265 --no-wait   # prints the job's id
    fusec jobs logs ID --address http://head:8265 --follow                   # fuseflow.targets.ray.jobs

Through Ray's Jobs API (`ray.job_submission.JobSubmissionClient`), not Ray
Client: the job's driver runs on the cluster, beside its workers. What the job
gets, so that the cluster needs only Ray (and the workflow's own dependencies):

- the .fuse file's folder as its `working_dir`, zipped here
  (fuseflow.targets.ray.package: what stays behind, the size limit), with the
  compiled workflow in it as JSON (the IR): the driver binds and runs the IR
  (fuseflow.targets.ray.job), so the cluster needs neither lark nor Jinja2 and
  compiles nothing; what runs is exactly what was checked here;
- fuseflow itself, the installed package's folder, as a `py_modules` entry;
- a `pip` list: the workflow's own (`options ray { workflow: { init:
  {"runtime_env": {"pip": [...]}} } }`) and what fuseflow's runtime needs for
  the store (`RUNTIME_NEEDS`: xxhash, and s3fs for s3://), which pip finds
  already installed on a cluster that has them; the rest of the workflow's
  `runtime_env` (env_vars, ...) becomes the job's too.

The store must be one the cluster's nodes can reach (`cluster_storage`). The
command checks the params, --set and --rerun before anything is sent, then
follows the job (fuseflow.targets.ray.jobs.follow): its log on stderr, the
progress display drawn here, its outputs on stdout.

Exit status: 0 the job succeeded (or was submitted, with --no-wait); 1 the
file has errors, a node failed (its error as `fusec run` prints it), the job
failed or was stopped, or the job server could not be reached; 2 usage (a
bad param, a store the cluster cannot see, a folder too large; nothing was
sent); 130 interrupted while following (the job goes on).
"""
from __future__ import annotations

import os
import re
import secrets
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...compiler.errors import UsageError
from ..submit import command

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# What fuseflow's runtime imports on the cluster beyond the standard library, by what the job
# uses (pyproject.toml's dependencies and its s3 extra; a test keeps them the same).
RUNTIME_NEEDS = {"store": ["xxhash>=3.4,<5"], "s3": ["s3fs>=2025.3", "fsspec>=2025.3"]}
ENTRY_MODULE = "fuseflow.targets.ray.job"  # the job's driver


def add_parser(sub) -> None:
    """Ray's flags and way of submitting, under the one `fusec submit` (fuseflow.targets.submit)."""
    command(sub).add_target("ray", "run the workflow as a Ray job through Ray's Jobs API, shipping the .fuse "
                                   "file's folder and fuseflow (docs/ray.md, 'Submitting to a cluster')",
                            add_arguments, cmd_submit)


def add_arguments(group) -> None:
    group.add_argument("--address", metavar="URL",
                       help="the cluster's job server (its dashboard), e.g. http://head:8265 "
                            "(default: $RAY_ADDRESS when it is an http:// URL)")
    group.add_argument("--json", action="store_true", help="print the outputs as one JSON object")
    group.add_argument("--summary", action="store_true",
                       help="also report what the job's run did: nodes computed, loaded and skipped, the branch "
                            "each `if` took (with --json: in the JSON object)")
    group.add_argument("--no-wait", action="store_true",
                       help="print the job's id and return; `fusec jobs status|logs|stop ID` follow it")
    group.add_argument("--no-cache", action="store_true", help="neither load nor store results")
    group.add_argument("--set", action="append", default=[], metavar="REGEX:KEY=VALUE",
                       help="override an option of the matching nodes (repeatable)")
    group.add_argument("--max-pending", type=int, metavar="N", help="at most N tasks in flight")
    group.add_argument("--progress", action="store_true", default=None,
                       help="draw the job's progress here (default: when stderr is a terminal)")
    group.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                       help="no progress display")


@dataclass
class Submission:
    """What one job is sent with: the entrypoint, the runtime_env (without the working_dir,
    zipped later), the marker of its lines for fusec, and what the zip leaves out."""

    entrypoint: str
    runtime_env: dict[str, Any]
    marker: str
    excludes: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def cmd_submit(args) -> int:
    # deferred: the compiler and the job client load when a job is submitted, not to build the parser
    from ...compiler import files
    from ...runtime.extras import require
    from . import jobs, package

    require("ray.job_submission", "fusec submit --target ray")  # Ray zips the folder too: needed from the start
    address = job_server(args.address)
    workflow, messages = files.load(args.file, files.define_values(args.defines))
    sys.stderr.write(messages)
    fuse = Path(args.file).resolve()
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    submission = prepare(workflow, fuse, args, progress)
    try:
        with package.working_dir(fuse.parent, workflow.to_json(), submission.excludes) as zipped:  # checked first
            client = jobs.connect(address)
            job_id = jobs.submit(client, submission, zipped, address)
            sent = package.mib(zipped.stat().st_size)
    except jobs.JobServerError as exc:
        print(f"fusec: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    sys.stderr.write(f"submitted job {job_id} to {address} (the folder {fuse.parent}: {sent} zipped)\n")
    if args.no_wait:
        print(job_id)
        sys.stderr.write(f"follow it with: fusec jobs logs {job_id} --address {address} --follow\n")
        return EXIT_OK
    return jobs.follow(client, job_id, address, label=workflow.name, progress=progress, as_json=args.json)


def job_server(address: str | None) -> str:
    """--address, else $RAY_ADDRESS when it names a job server (http://...)."""
    address = address or os.environ.get("RAY_ADDRESS", "")
    if not address or not re.match(r"(https?|auto)\b", address):
        raise UsageError("fusec submit --target ray needs --address http://HEAD:8265, the address of the cluster's "
                         "dashboard, which runs its job server (RAY_ADDRESS may give it too)")
    return address


def prepare(workflow, fuse: Path, args, progress: bool) -> Submission:
    """The job for `workflow` (compiled from `fuse`), its inputs checked first: UsageError
    for a bad param, --set or --rerun, or a store the cluster cannot see (nothing is sent)."""
    check_inputs(workflow, args)
    store = None if args.no_cache else cluster_storage(args.storage, workflow.storage)
    own_env = dict(workflow.workflow_options.get("ray", {}).get("init", {}).get("runtime_env") or {})
    marker = f"fuseflow-{secrets.token_hex(8)}"
    runtime_env = job_runtime_env(own_env, store, fuse.parent, marker)
    excludes = list(own_env.get("excludes") or [])
    inside = store_inside(store, fuse.parent)
    if inside:
        excludes.append(f"/{inside}")
    return Submission(entrypoint=entrypoint(fuse.name, store, args, progress), runtime_env=runtime_env,
                      marker=marker, excludes=excludes,
                      metadata={"fuseflow_marker": marker, "fuseflow_workflow": workflow.name})


def check_inputs(workflow, args) -> None:
    """-p, --set and --rerun as the job will read them; UsageError now rather than a failed job."""
    # deferred: the runtime's readers of the command line, when a job is submitted
    from ...runtime.overrides import check, compile_regex, parse_set, require_match
    from ...runtime.params import Param, ParamError, parse_assignments, resolve

    names = [node.name for node in workflow.nodes]
    try:
        resolve([Param(p.name, p.type, p.default, p.required) for p in workflow.params], {},
                parse_assignments(args.param))
        check([parse_set(text) for text in args.set], names, "--set", own="ray", resolve=False)
        if args.rerun:
            require_match(compile_regex(args.rerun, "--rerun"), names, "--rerun")
        if args.max_pending is not None and args.max_pending < 1:
            raise ParamError(f"--max-pending must be at least 1, got {args.max_pending}")
    except ParamError as exc:
        raise UsageError(str(exc)) from None


def cluster_storage(given: str | None, own: str | None) -> str:
    """The store's URL as the job gets it: s3:// as it is, an absolute path as file:PATH (with a
    warning: every node must see it); UsageError for a store on this machine only."""
    url = given or own
    where = "--storage" if given else "the workflow's storage"
    if url is None:
        raise UsageError("a Ray job cannot keep its results in the default store, .fuseflow beside the .fuse file: "
                         "that folder is on this machine, and the cluster's nodes write their results themselves. "
                         "Give --storage s3://bucket/prefix, or an absolute path every node sees "
                         "(a shared filesystem), or --no-cache")
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]+)://", url)
    if scheme and scheme.group(1).lower() != "file":
        _open(url)  # an unknown scheme or a malformed URL: the store's own message
        return url
    path = _file_path(url)
    if not os.path.isabs(path):
        raise UsageError(f"{where} {url!r} is a relative folder, resolved on this machine, which the cluster's "
                         f"nodes cannot see; give s3://bucket/prefix, or an absolute path every node sees "
                         f"(a shared filesystem)")
    path = os.path.normpath(path)
    sys.stderr.write(f"warning: the store {path} is a folder: every node of the cluster must see it at that path "
                     f"(a shared filesystem), or each node keeps the results it computed\n")
    return f"file:{path}"


def _file_path(url: str) -> str:
    """The path of a file: URL or a plain path ("~" expanded here, as `fusec run` does)."""
    if url.lower().startswith("file:"):
        rest = url[5:]
        if rest.startswith("//"):
            host, _, rest = rest[2:].partition("/")
            if host not in ("", "localhost"):
                raise UsageError(f"file URLs on another host are not supported: {url}")
            rest = "/" + rest
        url = rest
    return os.path.expanduser(url)


def _open(url: str) -> None:
    # deferred: the storage layer, to check a URL's form only when one is given
    from ...runtime.storage import open_store

    try:
        open_store(url)
    except ValueError as exc:
        raise UsageError(f"storage: {exc}") from None


def store_inside(store: str | None, folder: Path) -> str | None:
    """The store's path relative to the shipped folder, when it is a folder inside it."""
    if not store or not store.startswith("file:"):
        return None
    path = Path(store[5:])
    return path.relative_to(folder).as_posix() if path.is_relative_to(folder) and path != folder else None


def job_runtime_env(own: dict[str, Any], store: str | None, folder: Path, marker: str) -> dict[str, Any]:
    """The job's runtime_env: the workflow's own (its excludes apply to the zip), fuseflow as a
    py_modules entry, the pip packages the runtime needs added to the workflow's."""
    import fuseflow  # the installed package, shipped as it is (its folder)

    env = {key: value for key, value in own.items() if key not in ("working_dir", "excludes")}
    env["py_modules"] = [*(env.get("py_modules") or []), str(Path(fuseflow.__file__).resolve().parent)]
    env["excludes"] = ["__pycache__"]  # what Ray leaves out of the py_modules folders
    needs = [] if store is None else RUNTIME_NEEDS["store"] + (RUNTIME_NEEDS["s3"] if store.startswith("s3:") else [])
    pip = with_packages(env.get("pip"), needs, folder)
    if pip:
        env["pip"] = pip
    from .job import MARKER_VARIABLE  # deferred: the driver's module (the runtime's flags), when a job is sent

    env["env_vars"] = {**(env.get("env_vars") or {}), MARKER_VARIABLE: marker}
    return env


def with_packages(pip: Any, needs: list[str], folder: Path) -> Any:
    """The workflow's `pip` (a list, a requirements file beside the .fuse file, or Ray's dict
    form) with the packages in `needs` that it does not name already."""
    if isinstance(pip, str):
        path = folder / pip
        pip = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    if isinstance(pip, dict):
        return {**pip, "packages": with_packages(list(pip.get("packages") or []), needs, folder)}
    packages = list(pip or [])
    named = {_project(spec) for spec in packages}
    return packages + [spec for spec in needs if _project(spec) not in named]


def _project(spec: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else spec


def entrypoint(fuse_name: str, store: str | None, args, progress: bool) -> str:
    """The job's command, run in its working_dir by the cluster's `python` (or the pip env's)."""
    command = ["python", "-u", "-m", ENTRY_MODULE, fuse_name]
    if store is not None:
        command += ["--storage", store]
    else:
        command.append("--no-cache")
    for text in args.param:
        command += ["-p", text]
    for text in args.set:
        command += ["--set", text]
    if args.rerun:
        command += ["--rerun", args.rerun]
    if args.max_pending is not None:
        command += ["--max-pending", str(args.max_pending)]
    if args.json:
        command.append("--json")
    if args.summary:
        command.append("--summary")
    command.append("--progress" if progress else "--no-progress")
    return shlex.join(command)
