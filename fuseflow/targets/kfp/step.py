"""What runs inside every KFP step that `fusec compile --target kfp` generates.

Each component's embedded program is a kfp lightweight component whose body is

    from fuseflow.targets.kfp.step import run_step
    run_step(SPEC, values, MODULES)

SPEC is what the compiler wrote for the component (shared by every node that
calls the same callable the same way)::

    {"protocol": 1, "fusec": "0.1.0", "workflow": "models",
     "kind": "call",                     # "object", "method" or "outputs" too
     "target": "models:train",           # for a method, the method's name
     "args": [TEMPLATE, ...], "kwargs": [[NAME, TEMPLATE], ...],
     "options": {"seed": 7, "setup": "m:f", "cache": False, "always_read": True}}

where a TEMPLATE says which input holds an argument and how to decode it
(fuseflow.targets.kfp.inputs lists them). A task inside a run-time loop is one
iteration's: its node's name has `*` for the item's key, which comes with the
item (`fuseflow_key`); kind "items" is the step that hands a loop's items out
(`hand_out`), kind "decide" the one deciding an `if` (`decide`), kind "pick" the one passing on
the branch taken's result (`pick`: in a loop, or in a branch, an `if`'s inside it), kind
"finally" the one running several `finally` calls (kfp.exit_step). `values` are the
function's arguments as kfp's executor passes them: parameter values (the
node's name among them), and artifacts (objects with a `.path`, plus a
`.metadata` dict for outputs). This module never imports kfp: it reads and
writes plain files.

A node's result travels to its consumers as a *fuseflow artifact*: two text
lines (a magic line and a JSON header with the node name and its cache key),
then a storage record (fuseflow.runtime.storage.format) of the value. The key
lets each consumer compute its own key exactly as the local target does, so a
step finds (and saves) results in the workflow's store under the same keys as
every other target, when the store is reachable from the pod.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

from ... import __version__, ir
from ...ir.conditions import TestFailed, taken
from ...ir.fanout import NotIterable, checked_items
from ...runtime import graph
from ...runtime import node as node_run
from ...runtime.conditions import DecisionFailed
from ...runtime.execute import resolve
from ...runtime.explain import describe_key
from ...runtime.fanout import LoopFailed
from ...runtime.invoke import IndexingError, NodeFailed, RunFailed, index, message, resolve_callable
from ...runtime.keys import finish_key, templates
from ...runtime.storage import REGISTRY, StorageWarning, open_store
from ...runtime.storage.format import encode_header
from .arguments import (
    FAILURE_DIR,
    KEY,
    KEY_FIELD,
    KEYS,
    MAGIC,
    Arguments,
    StepError,
    decode_parameter,
    item_text,
    read_artifact,
    read_header,
    read_value,
    report_done,
)
from .values import decode as decode_text
from .values import encode as encode_text

PROTOCOL = 2  # 2: every value travels as an input, strings encoded by kfp_values
NODE, STORAGE, RERUN, AFTER = "fuseflow_node", "fuseflow_storage", "fuseflow_rerun", "fuseflow_after"
SELF, RESULT, STATE = "self", "result", "state"
RAN = "ran"  # how Step.run went when the node's code ran (else: "loaded from storage")
# Neutral options the step carries out itself; the others became KFP settings.
RUNTIME_OPTIONS = ("seed", "setup", "timeout")




def run_step(spec: dict, values: dict, modules: dict[str, str] | None = None) -> Any:
    """Run one node (or collect the workflow's outputs) and write the output artifacts; the items
    step returns a run-time loop's items."""
    _check_protocol(spec)
    if modules:
        install_modules(modules)
    started = time.perf_counter()
    try:
        if spec["kind"] == "items":
            return hand_out(spec, values)
        if spec["kind"] == "decide":
            return decide(spec, values)
        if spec["kind"] == "pick":
            pick(spec, values)
            return None
        if spec["kind"] == "outputs":
            collect_outputs(spec, values)
            return None
        if spec["kind"] == "finally":  # several `finally` calls, run by the engine (kfp.exit_step)
            from .exit_step import run_finally

            run_finally(spec, values)
            return None
        step = Step(spec, values)
        how = step.run()
        report_done({"node": step.name, "computed": how == RAN})
    except NodeFailed as failure:
        report_failure(failure)
        raise SystemExit(1) from None
    except RunFailed as failure:  # a run-time loop's items or results, an `if`'s tests, run_status[...]
        report_run_failure(failure)
        raise SystemExit(1) from None
    print(f"fuseflow: node {step.name!r} {how} in {time.perf_counter() - started:.2f} s", flush=True)
    return None


def _check_protocol(spec: dict) -> None:
    if spec.get("protocol") != PROTOCOL:
        raise StepError(f"this step was compiled by fusec {spec.get('fusec')} "
                        f"for step protocol {spec.get('protocol')}, "
                        f"but the image has fuseflow {__version__} (protocol {PROTOCOL}): install fuseflow=="
                        f"{spec.get('fusec')} in the image, or set the kfp option runtime_package")
    if spec.get("fusec") != __version__:
        print(f"fuseflow: warning: compiled by fusec {spec.get('fusec')}, running on fuseflow {__version__}",
              flush=True)




class Step:
    """One node: its arguments, its cache key, and what to do (load, run, store)."""

    def __init__(self, spec: dict, values: dict):
        self.spec = spec
        self.values = values
        self.item_key = decode_text(values[KEY_FIELD]) if values.get(KEY_FIELD) is not None else None
        self.name = self.named(decode_text(values[NODE]))
        self.kind = spec["kind"]
        self.options = spec.get("options", {})
        self.inputs = Arguments(values)
        try:  # the user's module may be missing from the image: the node's failure
            self.args = [self.inputs.marker(t) for t in spec.get("args", ())]
            self.kwargs = {k: self.inputs.marker(t) for k, t in spec.get("kwargs", ())}
            self.fn = resolve_callable(spec["target"]) if self.kind != "method" else None
        except (ImportError, AttributeError, IndexingError) as exc:  # IndexingError: an item indexed as it is not
            raise NodeFailed(self.name, exc) from None
        if self.kind == "method":
            self.inputs.artifact(SELF)
        self.key = self.compute_key()
        self.forced = self.is_forced(decode_text(values.get(RERUN)) or "")

    def named(self, name: str) -> str:
        """A node's name: in a run-time loop, with the current item's key for its `*`."""
        return name.replace(KEY, self.item_key) if self.item_key is not None else name

    # --- cache key and --rerun ----------------------------------------------------------

    def alone(self) -> graph.Workflow:
        """The node alone in a graph (its inputs named after the artifacts, a method's object `self`)."""
        if self.kind == "method":
            node = graph.method(self.name, SELF, self.spec["target"], self.args, self.kwargs)
        else:
            node = graph.Node(self.name, self.kind, self.fn, self.args, self.kwargs)
        return graph.Workflow(self.spec["workflow"], [node])

    def compute_key(self) -> str:
        """The node's key, as fuseflow.runtime.keys.compute_keys computes it for the
        whole graph, here from the keys its input artifacts carry (see `alone`)."""
        keys = {name: header["key"] for name, header in self.inputs.headers.items()}
        return finish_key(templates(self.alone())[0], self.inputs.params, keys, self.options.get("seed"))

    def describe(self) -> dict[str, Any]:
        """What went into the key, as runtime.explain.describe_key saves it on every
        target (for `fusec explain`): made from the node alone, as the key is, with
        each upstream result named by the node its artifact header names (the node
        that wrote it; for a method's `self`, the previous call on the object)."""
        keys = {name: header["key"] for name, header in self.inputs.headers.items()}
        meta = describe_key(self.alone(), self.inputs.params, keys, self.name, self.options)
        meta["upstream"] = {self.inputs.headers[name]["node"]: key for name, key in meta["upstream"].items()}
        return meta

    def is_forced(self, pattern: str) -> bool:
        """`--rerun REGEX`: the node matches, an input was forced upstream, or it runs after a
        node that matches or follows one that does (its `after`: the names come with the task)."""
        if any(header.get("forced") for header in self.inputs.headers.values()):
            return True
        if not pattern:
            return False
        followed = decode_parameter(self.values[AFTER], "json") if self.values.get(AFTER) is not None else []
        followed = [self.named(name) for name in followed]
        return any(re.fullmatch(pattern, name) is not None for name in (self.name, *followed))

    # --- running ---------------------------------------------------------------------

    def run(self) -> str:
        """Load the stored result or compute it (runtime.node, as every target does);
        write the outputs. How it went, in words."""
        store = self.open_store()
        job = self.job(store)
        value, obj, how = None, None, RAN
        if job.store is not None and self.kind == "call" and not self.forced:  # objects and methods run for the state
            found, value = load_quietly(job, store)
            how = "loaded from storage" if found else how
        if how == RAN:
            fn, args, kwargs, obj = self.call()
            value = node_run.run(job, fn, args, kwargs, store, warn=log_warning)
        header = {"node": self.name, "key": self.key, "forced": self.forced}
        if self.kind != "object":
            write_artifact(self.values[RESULT], value, header)
        if self.kind in ("object", "method"):
            write_artifact(self.values[STATE], value if self.kind == "object" else obj, header)
        return how

    def open_store(self):
        url = decode_text(self.values.get(STORAGE)) or ""
        return open_store(url) if url else None

    def job(self, store) -> node_run.NodeJob:
        """The node's job: the options the step carries out itself (the rest became KFP settings)."""
        options = {k: self.options[k] for k in (*RUNTIME_OPTIONS, "always_read") if self.options.get(k) is not None}
        kept = node_run.cacheable(self.kind, self.options, store)
        use = self.spec.get("use")  # a used workflow's node: kept under its name in that workflow
        return node_run.NodeJob(self.spec["workflow"], self.name, options, store.url if kept else None, self.key,
                                self.describe() if kept else None, self.name[len(use) + 1:] if use else None)

    def call(self) -> tuple[Any, list, dict, Any]:
        """(what to call, its arguments, the object a method runs on): the inputs read."""
        results = self.inputs.results()
        params = self.inputs.params
        obj = results.get(SELF)
        try:
            fn = self.fn if self.kind != "method" else getattr(obj, self.spec["target"])
            args = [resolve(a, results, params) for a in self.args]
            kwargs = {k: resolve(v, results, params) for k, v in self.kwargs.items()}
        except (AttributeError, LookupError, TypeError) as exc:  # a missing method, a bad index
            raise NodeFailed(self.name, exc) from None
        return fn, args, kwargs, obj


def log_warning(message: str) -> None:
    """A warning in the step's log, where a KFP user looks."""
    print(f"fuseflow: warning: {message}", flush=True)


def load_quietly(job: node_run.NodeJob, store) -> tuple[bool, Any]:
    """The stored result, with a damaged record's warning printed to the step's log."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StorageWarning)
        found, value = node_run.load(job, store)
    for warning in caught:
        log_warning(str(warning.message))
    return found, value






# --- artifacts ------------------------------------------------------------------------




def write_artifact(artifact: Any, value: Any, header: dict) -> None:
    """Write `value` to an output artifact (`.path`) in the fuseflow artifact format."""
    serializer = REGISTRY.choose(value)
    buffers = serializer.dump(value)
    line = json.dumps(header, sort_keys=True).encode() + b"\n"
    os.makedirs(os.path.dirname(artifact.path) or ".", exist_ok=True)
    with open(artifact.path, "wb") as f:
        f.write(MAGIC + line + encode_header(serializer.name, buffers))
        for buf in buffers:
            f.write(buf)
    metadata = getattr(artifact, "metadata", None)
    if isinstance(metadata, dict):  # shown in the KFP UI
        metadata.update({"fuseflow_node": header["node"], "fuseflow_key": header["key"], "serializer": serializer.name})








# --- outputs, embedded modules, failures ------------------------------------------------


def collect_outputs(spec: dict, values: dict) -> None:
    """The `outputs` step: workflow outputs that are not one node's whole result
    (an indexed result, a loop family, a list) assembled into artifacts."""
    inputs = Arguments(values)
    markers = [(artifact, name, inputs.marker(t)) for artifact, name, t in spec["outputs"]]
    results = inputs.results()
    for artifact, name, marker in markers:
        value = resolve(marker, results, inputs.params)
        write_artifact(values[artifact], value, {"node": name, "key": "", "forced": False})


def hand_out(spec: dict, values: dict) -> list[dict[str, str]]:
    """The items step of a run-time loop: what it iterates (a result or a param, indexed) taken
    apart as the engine takes it (its messages when it cannot be), one loop item per item, with
    the item's key and each variable's value (JSON text, or RECORD), which dsl.ParallelFor hands
    to one iteration each; the keys also go to `keys`, for the tasks that read the loop's results."""
    inputs = Arguments(values)
    source = inputs.marker(spec["iterable"])
    where = spec["where"]
    found = inputs.results()[source.node] if type(source) is ir.Ref else inputs.params[source.name]  # type: ignore[attr-defined]
    try:
        items = index(found, source.path, where) if source.path else found  # type: ignore[attr-defined]
    except IndexingError as exc:
        raise LoopFailed(f"the run-time loop over {where}: {exc}") from None
    fields = dict(spec["vars"])
    iterations = loop_iterations(tuple(fields), items, where)
    with open(values[KEYS], "w", encoding="utf-8") as f:
        json.dump(encode_text({"loop_keys": [key for key, _ in iterations],
                               "dict_keys": [str(key) for key in items] if isinstance(items, dict) else None}), f)
    print(f"fuseflow: {len(iterations)} items of {where}", flush=True)
    return [{KEY_FIELD: encode_text(key), **{fields[var]: item_text(value) for var, value in bound.items()}}
            for key, bound in iterations]


def decide(spec: dict, values: dict) -> int:
    """The decide step of an `if`: its tests evaluated as the engine evaluates them (ir.conditions,
    the same messages when one cannot be), the index of the branch taken returned, which the
    branches' trigger policies compare (dsl.If / dsl.Elif / dsl.Else)."""
    inputs = Arguments(values)
    tests = tuple(test_value(inputs, test) for test in spec["tests"])
    results, params = inputs.results(), inputs.params
    key = decode_text(values[KEY_FIELD]) if values.get(KEY_FIELD) is not None else None

    def value_of(operand: ir.Value) -> Any:
        return resolve(operand, results, params)

    def named(text: str) -> str:  # in a run-time loop: the item's key for the `*` (`if-1.*` is `if-1.0`)
        return text.replace(KEY, key) if key is not None else text

    try:
        branch = taken(tests, value_of)
    except (TestFailed, IndexingError) as exc:
        raise DecisionFailed(f"{named(spec['where'])}: {exc}") from None
    print(f"fuseflow: {named(spec['where'])} takes branch {branch}", flush=True)
    if "decision" in spec:  # compiled by a fusec that names it
        item = {"key": key} if key is not None else {}  # an item's: kfp.local.summarize finds its loop by it
        report_done({"decision": named(spec["decision"]), "branch": branch, **item})
    return branch


def pick(spec: dict, values: dict) -> None:
    """The pick step of a name every branch of an `if` assigns: the result of the branch taken (a
    dsl.OneOf) passed on as it is, its header naming that branch's node and its key, for a run-time loop
    to collect (what reads it outside the loop tells the items apart by it), or as the member of an outer
    `if`'s one-of that an `if` inside its branch chose (kfp.conditions)."""
    source, result = values[spec["input"]], values[RESULT]
    os.makedirs(os.path.dirname(result.path) or ".", exist_ok=True)
    shutil.copyfile(source.path, result.path)
    header = read_header(result.path)
    metadata = getattr(result, "metadata", None)
    if isinstance(metadata, dict):  # shown in the KFP UI
        metadata.update({"fuseflow_node": header["node"], "fuseflow_key": header["key"]})
    print(f"fuseflow: the result of {header['node']!r} passed on", flush=True)


def test_value(inputs: Arguments, template: dict) -> ir.Value:
    """A test as the IR holds it, its operands as the step's arguments (kfp.conditions.test_template)."""
    if "compare" in template:
        return ir.Compare(template["compare"], test_value(inputs, template["left"]),
                          test_value(inputs, template["right"]))
    if "and" in template:
        return ir.And(tuple(test_value(inputs, item) for item in template["and"]))
    if "or" in template:
        return ir.Or(tuple(test_value(inputs, item) for item in template["or"]))
    if "not" in template:
        return ir.Not(test_value(inputs, template["not"]))
    return inputs.marker(template)






def loop_iterations(names: tuple[str, ...], items: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """(key, the variables' values) per item, as the engine expands the loop; LoopFailed with the
    engine's message for items that are no list or dict (or do not unpack)."""
    try:
        checked = checked_items(len(names), items, where)
    except NotIterable as exc:
        raise LoopFailed(str(exc)) from None
    return ir.Loop(names, checked, (), positions=True).iterations()








def install_modules(modules: dict[str, str]) -> str:
    """Write embedded module sources (relative path -> text) to a fresh folder
    put first on sys.path, so `import` finds them and inspect.getsource works
    (cache keys hash the source, as on every other target)."""
    root = tempfile.mkdtemp(prefix="fuseflow-modules-")
    for relative, text in sorted(modules.items()):
        path = os.path.join(root, *relative.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    sys.path.insert(0, root)
    importlib.invalidate_caches()
    return root


def report_failure(failure: NodeFailed) -> None:
    """The user's own traceback in the step's log, and for `fusec run` a JSON report."""
    print(f"fuseflow: {failure}\n\nTraceback of node {failure.node!r}:\n{failure.user_traceback}", flush=True)
    folder = os.environ.get(FAILURE_DIR)
    if not folder:
        return
    report = {"node": failure.node, "error_type": type(failure.error).__name__, "error": message(failure.error),
              "attempts": failure.attempts, "traceback": failure.user_traceback, "time": time.time_ns()}
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{os.getpid()}-{time.time_ns()}.json"), "w", encoding="utf-8") as f:
        json.dump(report, f)


def report_run_failure(failure: LoopFailed) -> None:
    """A run-time loop's failure (no node's): its message in the step's log, and for `fusec run`
    a JSON report, which it raises as the engine raises it."""
    print(f"fuseflow: error: {failure}", flush=True)
    folder = os.environ.get(FAILURE_DIR)
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{os.getpid()}-{time.time_ns()}.json"), "w", encoding="utf-8") as f:
            json.dump({"run_failed": str(failure), "time": time.time_ns()}, f)


def failure_from_report(report: dict) -> NodeFailed:
    """A NodeFailed for `fusec run`, rebuilt from a step's JSON report."""
    error_class: Callable = type(report["error_type"], (Exception,), {"__module__": "builtins"})
    failure = NodeFailed(report["node"], error_class(report["error"]), report.get("attempts", 1))
    failure.user_traceback = report["traceback"]
    return failure


__all__ = ["run_step", "read_artifact", "read_header", "read_value", "write_artifact", "decode_parameter",
           "install_modules", "failure_from_report"]
