"""`fusec run --target kfp`: the compiled YAML run by kfp.local, then its outputs read back.

kfp.local's SubprocessRunner(use_venv=False) runs each step as a subprocess
of this Python, so the steps see what this environment has installed, and
the .fuse file's folder on PYTHONPATH (as an image would hold the user's
code). With `--bare` (use_venv=True) each step gets a new virtualenv holding
nothing, runs in an empty folder with no PYTHONPATH, and so sees only what
its own command installs (runtime_package, packages) and embeds
(embed_modules): what a step on a bare `python:3.11` image sees.
kfp's logs go to stderr when progress is shown (a terminal, or
`--progress`), else they are kept and shown only when a step fails; stdout
carries the outputs alone, as with every target.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import itertools
import json
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ... import __version__
from ...compiler.errors import UsageError
from ...ir import Decision, Node, Workflow
from ...ir.conditions import members
from ...runtime.extras import optional
from ...runtime.fanout import LoopFailed
from ...runtime.final import finally_failed
from ...runtime.invoke import NodeFailed, environment
from ...runtime.params import Param, ParamError, resolve
from ...runtime.prepare import open_run_store
from ...runtime.shared import origin, warn_if_shared
from ...runtime.summary import Summary, branch_taken, skipped_nodes
from .arguments import FAILURE_DIR, SUMMARY_DIR, read_value
from .loops import RunTimeLoop
from .options import settings as node_settings
from .spec import Names
from .step import failure_from_report
from .values import encode


class LocalRunFailed(RuntimeError):
    """kfp.local reported a failure that names no task (kfp's own log says why)."""


class StepFailed(Exception):
    """A step failed outside the node's function: installing its packages, starting
    kfp's executor, importing the fuseflow runtime. Its log says why."""


# kfp.local colours its messages; a terminal escape has no place in fusec's report.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FAILED_TASK = re.compile(r"Inner task failed: '([^']*)'")
_LOG_LINES = 12  # of a failed step's log, shown as its failure


def run_yaml(text: str, names: Names, wf: Workflow, fuse_path: str, settings, bare: bool = False) -> dict[str, Any]:
    """Run the pipeline with kfp.local; {output name: value}. `bare`: every step in a
    new virtualenv and an empty folder (UsageError first if a step installs no runtime)."""
    with optional("kfp", "fusec run --target kfp (kfp.local)"):
        import kfp  # optional backend: only with the kfp extra
        from kfp import local

    if bare:
        check_bare(wf, names)
    arguments = pipeline_arguments(wf, names, fuse_path, settings)
    with tempfile.TemporaryDirectory(prefix="fusec-kfp-") as tmp:
        path = Path(tmp) / "pipeline.yaml"
        path.write_text(text, encoding="utf-8")
        local.init(runner=local.SubprocessRunner(use_venv=bare), pipeline_root=str(Path(tmp) / "root"),
                   raise_on_error=True)
        component = kfp.components.load_component_from_file(str(path))
        failures, done = Path(tmp) / "failures", Path(tmp) / "done"
        extra = {FAILURE_DIR: str(failures), "PYTHONPATH": _python_path(Path(fuse_path).resolve().parent, bare)}
        if settings.summary is not None:  # the steps say what they did (kfp.arguments.report_done)
            extra[SUMMARY_DIR] = str(done)
        with _logs(settings.progress) as log, environment(extra), _working_folder(Path(tmp), bare), \
                task_folders(), empty_loops(), one_of_artifacts(), _quiet_display_names(), print_restored():
            try:
                task = component(**arguments)
            except RuntimeError as exc:
                _raise_failure(failures, exc, log, names, {node.name for node in wf.nodes if node.final})
            if settings.summary is not None:
                summarize(done, wf, settings.summary)
        return read_outputs(task, names, wf)


def check_bare(wf: Workflow, names: Names) -> None:
    """Every step of a bare run must install the fuseflow runtime (and with it kfp's
    executor): UsageError naming the nodes whose steps would not, before any venv is made."""
    nodes = [*wf.nodes, *(node for fanout in wf.fanouts for node in RunTimeLoop(fanout).nodes)]
    lacking = [f"node '{n.name}'" for n in nodes if not node_settings(n, wf).install.get("runtime_package")]
    if names.outputs_task and not node_settings(None, wf).install.get("runtime_package"):
        lacking.append("the outputs step")
    if wf.fanouts and not node_settings(None, wf).install.get("runtime_package"):
        lacking.append("the items steps of run-time loops")
    if lacking:
        shown = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
        raise UsageError(f"--bare runs each step where nothing is installed, but these steps install no fuseflow "
                         f"runtime: {shown}; set the kfp option runtime_package, e.g. "
                         'options kfp { workflow: { runtime_package: "fuseflow==' + __version__ + '" } }')


def pipeline_arguments(wf: Workflow, names: Names, fuse_path: str, settings) -> dict[str, Any]:
    """The params (typed, defaults filled in; ParamError before anything runs),
    the storage URL the steps use, and the --rerun regex; encoded as the steps read them."""
    params = resolve([Param(p.name, p.type, p.default, p.required) for p in wf.params], {}, settings.param_texts)
    arguments = {name: value for name, value in params.items() if value is not None}
    arguments[names.storage_input] = storage_url(wf, fuse_path, settings)
    if settings.rerun:
        try:
            regex = re.compile(settings.rerun)
        except re.error as exc:
            raise ParamError(f"--rerun {settings.rerun!r} is not a valid regex: {exc}") from None
        # a run-time loop's nodes are named once its items are known: a regex may select them only
        if not any(regex.fullmatch(node.name) for node in wf.nodes) and not wf.fanouts:
            raise ParamError(f"--rerun {settings.rerun!r} matches no node (the regex must match a whole name)")
        arguments[names.rerun_input] = settings.rerun
    return encode(arguments)


def storage_url(wf: Workflow, fuse_path: str, settings) -> str:
    """As on the local target: --storage (relative to the working directory), else
    the file's `storage` (relative to the .fuse file), else .fuseflow beside it."""
    if settings.no_cache:
        return ""
    home = Path(fuse_path).resolve().parent
    store = open_run_store(settings.storage, wf.storage, home)
    warn_if_shared(store, wf.name, origin(wf.source, home))  # as every target's run does (runtime.shared)
    return store.url


def summarize(folder: Path, wf: Workflow, summary: Summary) -> None:
    """What the steps reported they did (kfp.arguments.report_done), into the run's summary: the
    nodes computed and loaded, the decisions' branches, and so the nodes skipped (runtime.summary)."""
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]
    taken: dict[str, int] = {}
    keys: set[str] = set()  # of the items whose decisions a run-time loop's decide steps reported
    for report in reports:
        if "decision" in report:
            taken[report["decision"]] = report["branch"]
            keys.update([report["key"]] if "key" in report else [])
        elif report["computed"]:
            summary.computed(report["node"])
        else:
            summary.loaded(report["node"])
    nodes, decisions = item_decisions(wf, keys, taken)
    inside = members(decisions, nodes)
    tests = {decision.name: len(decision.tests) for decision in decisions}
    words = {name: branch_taken(tests[name], inside[name].values(), index) if name in tests else str(index)
             for name, index in taken.items()}
    skipped = skipped_nodes([node.name for node in nodes], inside, taken) + skipped_loops(wf, taken)
    summary.decide(words, skipped, [node.name for node in wf.nodes], [decision.name for decision in wf.decisions])


def skipped_loops(wf: Workflow, taken: dict[str, int]) -> list[str]:
    """The statements of the run-time loops in branches not taken, for every item (`grown.*`): such a loop
    never expands (its items task never ran), as the engine names them (runtime.graph.FanOut.skipped)."""
    return [".".join((statement, *fanout.keys, "*")) for fanout in wf.fanouts
            if any(taken.get(branch.decision) != branch.index for branch in fanout.when)
            for statement in fanout.statements()]


def item_decisions(wf: Workflow, keys: set[str], taken: dict[str, int]) -> tuple[list[Node], list[Decision]]:
    """The workflow's nodes and decisions, and those of the run-time loops' items that decided (each
    loop's items among `keys`: those whose decisions `taken` names), as the engine makes them."""
    nodes, decisions = list(wf.nodes), list(wf.decisions)
    for loop in (RunTimeLoop(fanout) for fanout in wf.fanouts if fanout.decisions):
        for key in sorted(keys):
            made, decided = loop.item(key)
            if any(decision.name in taken for decision in decided):
                nodes.extend(made)
                decisions.extend(decided)
    return nodes, decisions


def read_outputs(task: Any, names: Names, wf: Workflow) -> dict[str, Any]:
    """{workflow output: value}, read from the pipeline's output artifacts."""
    if not wf.outputs:
        return {}
    outputs = getattr(task, "outputs", None) or {}
    if not outputs and len(wf.outputs) == 1:
        outputs = {names.outputs[wf.outputs[0].name]: task.output}
    return {o.name: read_value(outputs[names.outputs[o.name]].path) for o in wf.outputs}


def _raise_failure(failures: Path, exc: RuntimeError, log: io.StringIO | None, names: Names,
                   finals: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """The failing node's own report when its step wrote one; else the node whose task
    kfp.local names, failed with the end of kfp's log (a pip install, a missing runtime).
    A failure of a `finally` node (`finals`) is the run's error only when the rest succeeded;
    after the rest failed, it is a warning, and the rest's failure the run's (runtime.final)."""
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in failures.glob("*.json")]
    rest = [report for report in reports if report.get("node") not in finals]
    if rest and len(rest) < len(reports):
        final = max((r for r in reports if r.get("node") in finals), key=lambda report: report.get("time", 0))
        finally_failed(failure_from_report(final), outcome=exc)  # a warning: the rest's error follows
        reports = rest
    if reports:  # kfp.local stops at the first failing task: every report is an attempt of its node
        last = max(reports, key=lambda report: report.get("time", 0))
        if "run_failed" in last:  # a run-time loop's items, or its results read outside it, as the engine says
            raise LoopFailed(last["run_failed"]) from None
        last["attempts"] = sum(report.get("node") == last["node"] for report in reports)
        raise failure_from_report(last) from None
    text = plain(str(exc))
    task = _FAILED_TASK.search(text)
    nodes = {task_name: node for node, task_name in names.tasks.items()}
    if task is None or task.group(1) not in nodes:
        if log is not None:
            sys.stderr.write(plain(log.getvalue()))
        raise LocalRunFailed(f"kfp.local: {text}") from None
    where = "the end of its log is below" if log is not None else "its log is above"
    failure = NodeFailed(nodes[task.group(1)], StepFailed(f"the step failed outside the node's function; {where}"))
    failure.user_traceback = (log_tail(log.getvalue()) if log is not None else "") + "\n"
    raise failure from None


def plain(text: str) -> str:
    """Text without terminal escapes."""
    return _ANSI.sub("", text)


def log_tail(log: str) -> str:
    """The last lines a failed step printed, from kfp.local's log of the run."""
    block = plain(log).rpartition("Streamed logs:")[2].partition("finished with status FAILURE")[0]
    lines = [line.strip() for line in block.splitlines()[:-1] if line.strip()]
    return "\n".join(lines[-_LOG_LINES:]) or "(the step printed nothing)"


@contextlib.contextmanager
def task_folders() -> Iterator[None]:
    """A folder of its own for each task kfp.local runs.

    kfp.local names a task's output folder after its component, which is
    unique per task in what kfp's compiler writes (one component per task).
    fuseflow's YAML shares one component among all the nodes that call the
    same callable in the same way, so without this every task of a fan-out
    would write its result to the same file. (A KFP backend puts each task's
    outputs under the task's own name, plus a random part since KFP 2.4.)
    """
    from kfp.local import executor_input_utils  # optional backend: kfp, loaded by run_yaml before this runs

    original = executor_input_utils.construct_local_task_root
    counter = itertools.count(1)

    def per_task(pipeline_root: str, pipeline_resource_name: str, task_resource_name: str) -> str:
        return original(pipeline_root, pipeline_resource_name, f"{task_resource_name}-{next(counter)}")

    executor_input_utils.construct_local_task_root = per_task
    try:
        yield
    finally:
        executor_input_utils.construct_local_task_root = original


@contextlib.contextmanager
def empty_loops() -> Iterator[None]:
    """Empty lists for what a run-time loop over no items collects.

    kfp.local (2.17) runs no iteration of a `dsl.ParallelFor` over an empty
    list and sets none of the loop's outputs, so a task reading them through
    `dsl.Collected` fails ("task 'for-x-in-numbers' not found"). While the run
    lasts, such a loop's outputs are empty lists, as the engine gives the nodes
    after a loop over no items on every target.
    """
    from kfp.local.orchestrator import enhanced_dag_orchestrator  # optional backend: loaded by run_yaml first

    original = enhanced_dag_orchestrator._run_parallel_for_task

    def run_loop(**kwargs: Any) -> bool:
        failed = original(**kwargs)
        if failed:
            return failed
        task, io_store = kwargs["task_name"], kwargs["io_store"]
        component = kwargs["components"][kwargs["task_spec"].component_ref.name]
        for output in component.output_definitions.artifacts:
            try:
                io_store.get_task_output(task, output)
            except ValueError:  # no iteration ran
                io_store.put_task_output(task, output, [])
        return failed

    enhanced_dag_orchestrator._run_parallel_for_task = run_loop
    try:
        yield
    finally:
        enhanced_dag_orchestrator._run_parallel_for_task = original


@contextlib.contextmanager
def one_of_artifacts() -> Iterator[None]:
    """dsl.OneOf of artifacts: the one branch's that ran.

    A name every branch of an `if` assigns is an output of the If/Elif/Else group
    selecting each branch's artifact, as kfp's compiler writes dsl.OneOf over
    artifacts, and as Kubeflow Pipelines runs it. kfp.local (2.17) reads a DAG's
    output artifacts from exactly one selector (its OneOf support is for parameters
    only), so while the run lasts an output with several selectors takes the one
    whose task produced it, as it does for parameters.
    """
    from kfp.local.orchestrator import orchestrator_utils  # optional backend: loaded by run_yaml first

    utils = orchestrator_utils.OrchestratorUtils
    original = utils.__dict__["get_dag_output_artifacts"]

    def get_dag_output_artifacts(cls: Any, dag_outputs_spec: Any, io_store: Any) -> dict[str, Any]:
        single = {key: spec for key, spec in dag_outputs_spec.artifacts.items() if len(spec.artifact_selectors) < 2}
        outputs = original.__func__(cls, _with_only(dag_outputs_spec, single), io_store) if single else {}
        for key, spec in dag_outputs_spec.artifacts.items():
            if len(spec.artifact_selectors) < 2:
                continue
            for selector in spec.artifact_selectors:
                try:
                    outputs[key] = io_store.get_task_output(selector.producer_subtask, selector.output_artifact_key)
                    break
                except (KeyError, ValueError):  # this branch did not run
                    continue
        return outputs

    utils.get_dag_output_artifacts = classmethod(get_dag_output_artifacts)
    try:
        yield
    finally:
        utils.get_dag_output_artifacts = original


def _with_only(dag_outputs_spec: Any, artifacts: dict[str, Any]) -> Any:
    """A copy of a DagOutputsSpec holding only these artifact outputs."""
    copy = type(dag_outputs_spec)()
    copy.CopyFrom(dag_outputs_spec)
    copy.ClearField("artifacts")
    for key, spec in artifacts.items():
        copy.artifacts[key].CopyFrom(spec)
    return copy


@contextlib.contextmanager
def print_restored() -> Iterator[None]:
    """builtins.print as it was, after the run.

    kfp.local (2.17) indents what each task prints by patching builtins.print
    for the task's run and putting back the one it found; a ParallelFor runs
    iterations in threads, so one may find another's patch and put that back:
    every print of the process after the run would then begin with spaces."""
    original = builtins.print
    try:
        yield
    finally:
        builtins.print = original


@contextlib.contextmanager
def _quiet_display_names() -> Iterator[None]:
    """kfp.local warns, for every task, that display names mean nothing locally."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Task .*: settings \['display_name'\] have no effect")
        yield


@contextlib.contextmanager
def _logs(progress: bool | None) -> Iterator[io.StringIO | None]:
    """kfp.local prints to stdout: to stderr when progress shows, else to a buffer."""
    show = progress if progress is not None else sys.stderr.isatty()
    target = sys.stderr if show else io.StringIO()
    with contextlib.redirect_stdout(target):
        yield None if show else target


def _python_path(folder: Path, bare: bool) -> str:
    """The .fuse file's folder first on the steps' import path; nothing at all for a
    bare run (an empty PYTHONPATH is no path: Python ignores it)."""
    if bare:
        return ""
    existing = os.environ.get("PYTHONPATH")
    return str(folder) + (os.pathsep + existing if existing else "")


@contextlib.contextmanager
def _working_folder(tmp: Path, bare: bool) -> Iterator[None]:
    """A bare run's steps start in an empty folder, as in a fresh container: kfp.local
    starts them in this process's working directory, which `python -m` (kfp's executor)
    puts first on their import path, so a project's own folder would lend them its
    modules and, in fuseflow's own checkout, fuseflow itself."""
    if not bare:
        yield
        return
    folder = tmp / "work"
    folder.mkdir()
    with contextlib.chdir(folder):
        yield
