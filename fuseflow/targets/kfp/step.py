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
(`hand_out`), kind "finally" the one running several `finally` calls (kfp.exit_step). `values` are the
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

import base64
import importlib
import json
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

from ... import __version__, ir
from ...ir.conditions import TestFailed, taken
from ...ir.fanout import NotIterable, checked_items
from ...ir.indexing import IndexProblem, indexed
from ...runtime import graph
from ...runtime import node as node_run
from ...runtime.conditions import DecisionFailed
from ...runtime.execute import resolve
from ...runtime.explain import describe_key
from ...runtime.fanout import LoopFailed
from ...runtime.final import indexed_status
from ...runtime.invoke import IndexingError, NodeFailed, RunFailed, index, message, resolve_callable, resolve_imported
from ...runtime.keys import finish_key, templates
from ...runtime.storage import REGISTRY, StorageWarning, open_store
from ...runtime.storage.format import decode, encode_header
from .values import decode as decode_text
from .values import encode as encode_text

PROTOCOL = 2  # 2: every value travels as an input, strings encoded by kfp_values
MAGIC = b"FUSEFLOW-ARTIFACT 1\n"
NODE, STORAGE, RERUN, AFTER = "fuseflow_node", "fuseflow_storage", "fuseflow_rerun", "fuseflow_after"
SELF, RESULT, STATE = "self", "result", "state"
KEY = "*"  # the item's key in the name of a node in a run-time loop (`up.*`), as the compiler writes it
KEY_FIELD = "fuseflow_key"  # the input (and the loop item's field) with the item's key
KEYS = "keys"  # the items step's output: the items' keys, which say a list from a dict and the order
RECORD = "fuseflow-record:"  # an item JSON cannot carry exactly travels as a storage record, in base64
FAILURE_DIR = "FUSEFLOW_KFP_FAILURES"  # set by `fusec run --target kfp`: where a failing step reports
# Neutral options the step carries out itself; the others became KFP settings.
RUNTIME_OPTIONS = ("seed", "setup", "timeout")


class StepError(Exception):
    """The step cannot run as compiled (a fuseflow runtime too old or too new, a missing input)."""


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
        if spec["kind"] == "outputs":
            collect_outputs(spec, values)
            return None
        if spec["kind"] == "finally":  # several `finally` calls, run by the engine (kfp.exit_step)
            from .exit_step import run_finally

            run_finally(spec, values)
            return None
        step = Step(spec, values)
        how = step.run()
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


class Arguments:
    """A step's inputs as the runtime's argument values (IR values): parameters decoded,
    results as Refs named after their artifact input (whose headers, with the
    upstream cache keys, are read now; the values only when needed)."""

    def __init__(self, values: dict):
        self.values = values
        self.headers: dict[str, dict] = {}  # artifact input -> its header
        self.params: dict[str, Any] = {}
        self.paths: dict[str, str] = {}  # a run-time loop's result read outside it (`up[2]`) -> its artifact's path
        self.gathered_from: dict[str, tuple[str, str]] = {}  # such a result -> (its list of artifacts, its node)
        self.collected: dict[str, dict[str, str]] = {}  # a list of artifacts -> {node: path}, by their headers

    def marker(self, template: dict) -> ir.Value:
        if "item" in template:
            return ir.Literal(self.item(template))
        if "gather" in template:
            return self.gathered(template)
        if "input" in template and "param" not in template:
            return ir.Literal(decode_parameter(self.values.get(template["input"]), template["type"]))
        if "param" in template:
            self.params[template["param"]] = decode_parameter(self.values.get(template["input"]), template["type"])
            return graph.param(template["param"], *template.get("path", ()))
        if "ref" in template:
            self.artifact(template["ref"])
            return graph.ref(template["ref"], *template.get("path", ()))
        if "callable" in template:
            return ir.Literal(resolve_imported(template["callable"], tuple(template.get("path", ()))))
        if "status" in template:  # a `finally` task's run_status, from the exit handler's final status
            return ir.Literal(indexed_status(run_status(self.values.get(template["status"])),
                                             tuple(template.get("path", ()))))
        if "list" in template:
            items = [self.marker(t) for t in template["list"]]
            if template.get("literal"):  # constants and the item: one constant, as the engine expands it
                return ir.Literal([item.value for item in items])  # type: ignore[attr-defined]
            return graph.struct(items)
        if "dict" in template:
            pairs = {k: self.marker(t) for k, t in template["dict"]}
            if template.get("literal"):
                return ir.Literal({k: item.value for k, item in pairs.items()})  # type: ignore[attr-defined]
            return graph.struct(pairs)
        if "family" in template:
            return graph.family(template["family"], self.members(template))
        raise StepError(f"unknown argument template {template!r}")

    def members(self, template: dict) -> dict:
        return {k: self.members(t) if "family" in t else self.marker(t) for k, t in template["members"]}

    def item(self, template: dict) -> Any:
        """A run-time loop's variable for the current item, indexed: IndexingError when it cannot be."""
        found = item_value(self.values[template["item"]])
        return index(found, tuple(template["path"]), template["item"]) if "path" in template else found

    def gathered(self, template: dict) -> ir.Value:
        """A run-time loop's results outside it: a list of one value per item in item order (a dict
        keyed by the items' keys for a loop over a dict), indexed as the file says, as the engine
        makes it once the loop has run; LoopFailed, as the engine's, for a path it cannot take."""
        shape = decode_parameter(self.values.get(template["keys"]), "json")
        members = [self.member(template["gather"], key) for key in shape["loop_keys"]]
        whole: ir.Value = (ir.ListOf(tuple(members)) if shape["dict_keys"] is None
                           else ir.DictOf(tuple(zip(shape["dict_keys"], members, strict=True))))
        path = tuple(template.get("path", ()))
        try:
            found = indexed(whole, path)
        except IndexProblem as exc:
            raise LoopFailed(f"{template['statement']}{''.join(f'[{k!r}]' for k in path)}: {exc}") from None
        for value in ir.walk(found):
            if type(value) is ir.Ref and value.node in self.gathered_from:
                self.paths[value.node] = self.collected_path(*self.gathered_from[value.node])
                self.artifact(value.node)
        return found

    def member(self, template: dict, key: str) -> ir.Value:
        """One item's value: a Ref named after its artifact (`up[2]`), or a family of them."""
        if "family" in template:
            return graph.family(template["family"], {k: self.member(t, key) for k, t in template["members"]})
        name = f"{template['each']}[{key}]"
        self.gathered_from[name] = (template["each"], template["node"].replace(KEY, key))
        return graph.ref(name)

    def collected_path(self, each: str, node: str) -> str:
        """The path of `node`'s result among the artifacts collected in input `each` (by their
        headers: the order in which a backend lists them does not matter)."""
        if each not in self.collected:
            self.collected[each] = {read_header(artifact.path)["node"]: artifact.path
                                    for artifact in self.values.get(each) or ()}
        if node not in self.collected[each]:
            raise StepError(f"the step has no result of {node!r} among the artifacts of {each!r}")
        return self.collected[each][node]

    def path(self, name: str) -> str:
        return self.paths[name] if name in self.paths else _path(self.values, name)

    def artifact(self, name: str) -> dict:
        header = self.headers[name] = read_header(self.path(name))
        return header

    def results(self) -> dict[str, Any]:
        """The values of the input artifacts, by input name."""
        return {name: read_value(self.path(name)) for name in self.headers}


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
        value, obj, how = None, None, "ran"
        if job.store is not None and self.kind == "call" and not self.forced:  # objects and methods run for the state
            found, value = load_quietly(job, store)
            how = "loaded from storage" if found else how
        if how == "ran":
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


def decode_parameter(value: Any, type_: str) -> Any:
    """A parameter input as the exact Python value the local target passes.

    KFP carries numbers as JSON numbers (protobuf Value), so an int may come as
    1.0 and a float as 2; literals that are not scalars travel as JSON text.
    Numbers inside list and dict params come back as ints when whole. Strings
    come encoded (fuseflow.targets.kfp.values)."""
    if value is None:
        return None
    if type_ == "json":
        return decode_text(json.loads(value))
    if type_ == "int":
        return int(value)
    if type_ == "float":
        return float(value)
    if type_ == "bool":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if type_ in ("list", "dict"):
        return decode_text(_whole_numbers(json.loads(value) if isinstance(value, str) else value))
    return decode_text(value)


def _whole_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    return value


# --- artifacts ------------------------------------------------------------------------


def _path(values: dict, name: str) -> str:
    artifact = values.get(name)
    if artifact is None:
        raise StepError(f"the step has no input artifact {name!r}")
    return artifact.path


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


def read_header(path: str) -> dict:
    """The JSON header of a fuseflow artifact (its value is not read)."""
    with open(path, "rb") as f:
        if f.readline() != MAGIC:
            raise StepError(f"{path} is not a fuseflow artifact")
        return json.loads(f.readline())


def read_artifact(path: str) -> tuple[dict, Any]:
    """(header, value) of a fuseflow artifact."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(MAGIC):
        raise StepError(f"{path} is not a fuseflow artifact")
    end = data.index(b"\n", len(MAGIC))
    name, payload = decode(memoryview(bytearray(data[end + 1 :])))
    return json.loads(data[len(MAGIC) : end]), REGISTRY.get(name).load(payload)


def read_value(path: str) -> Any:
    return read_artifact(path)[1]


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

    def value_of(operand: ir.Value) -> Any:
        return resolve(operand, results, params)

    try:
        branch = taken(tests, value_of)
    except (TestFailed, IndexingError) as exc:
        raise DecisionFailed(f"{spec['where']}: {exc}") from None
    print(f"fuseflow: {spec['where']} takes branch {branch}", flush=True)
    return branch


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


# KFP's final states of the exit handler around the rest, as run_status says them (runtime.final)
FINAL_STATES = {"SUCCEEDED": "succeeded", "FAILED": "failed", "CANCELLED": "interrupted", "CANCELED": "interrupted"}


def run_status(final: Any) -> dict[str, Any]:
    """run_status from the exit handler's final status (dsl.PipelineTaskFinalStatus, or the dict
    kfp.local passes): its state; under `fusec run`, the failed nodes and their errors as their
    steps reported them, as the engine gives them; else KFP's error message (KFP says which task
    failed, not which node: docs/kfp.md)."""
    state = getattr(final, "state", None) or (final.get("state") if isinstance(final, dict) else None) or "SUCCEEDED"
    ours = FINAL_STATES.get(str(state).upper(), str(state).lower())
    if ours != "failed":
        return {"state": ours, "failed": []}
    failed: dict[str, str] = {}
    error = ""
    folder = os.environ.get(FAILURE_DIR)
    reports = sorted(os.listdir(folder)) if folder and os.path.isdir(folder) else []
    for name in reports:
        with open(os.path.join(folder, name), encoding="utf-8") as f:  # type: ignore[arg-type]
            report = json.load(f)
        if "node" in report:
            failed[report["node"]] = f"{report['error_type']}: {report['error']}"
        elif "run_failed" in report:
            error = report["run_failed"]
    if not failed and not error:
        error = getattr(final, "error_message", None) or (final.get("error", {}).get("message", "")
                                                           if isinstance(final, dict) else "")
    status: dict[str, Any] = {"state": "failed", "failed": [{"node": n, "error": e} for n, e in failed.items()]}
    if error:
        status["error"] = error
    return status


def loop_iterations(names: tuple[str, ...], items: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """(key, the variables' values) per item, as the engine expands the loop; LoopFailed with the
    engine's message for items that are no list or dict (or do not unpack)."""
    try:
        checked = checked_items(len(names), items, where)
    except NotIterable as exc:
        raise LoopFailed(str(exc)) from None
    return ir.Loop(names, checked, (), positions=True).iterations()


def item_text(value: Any) -> str:
    """A loop variable's value as the loop item carries it: its JSON text when JSON gives it back
    exactly (strings encoded against placeholders, as every parameter's), else RECORD and a
    storage record of it in base64 (signed with a storage key, as artifacts are)."""
    if _exact(value):
        return json.dumps(encode_text(value), ensure_ascii=False)
    serializer = REGISTRY.choose(value)
    buffers = serializer.dump(value)
    record = encode_header(serializer.name, buffers) + b"".join(buffers)
    return RECORD + base64.b64encode(record).decode("ascii")


def item_value(text: str) -> Any:
    """The value `item_text` was given."""
    if text.startswith(RECORD):
        name, payload = decode(memoryview(bytearray(base64.b64decode(text[len(RECORD):]))))
        return REGISTRY.get(name).load(payload)
    return decode_text(json.loads(text))


def _exact(value: Any) -> bool:
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return True
    if kind is list:
        return all(_exact(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _exact(item) for key, item in value.items())
    return False


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
