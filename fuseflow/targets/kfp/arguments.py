"""What a KFP step reads: its inputs as the runtime's argument values, and the artifacts results travel in.

A node's result travels to its consumers as a *fuseflow artifact*: two text
lines (a magic line and a JSON header with the node name and its cache key),
then a storage record (fuseflow.runtime.storage.format) of the value. A step's
parameters arrive decoded as kfp passes them (strings encoded against
placeholders: fuseflow.targets.kfp.values), a run-time loop's item as JSON text
(or a storage record), an exit task's final status as run_status. Every kind
of step reads its inputs through `Arguments` (fuseflow.targets.kfp.step runs
nodes, kfp.exit_step several `finally` calls). Never imports kfp.
"""
from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

from ... import ir
from ...ir.indexing import IndexProblem, indexed
from ...runtime import graph
from ...runtime.fanout import LoopFailed
from ...runtime.final import indexed_status
from ...runtime.invoke import index, resolve_imported
from ...runtime.storage import REGISTRY
from ...runtime.storage.format import decode, encode_header
from .values import decode as decode_text
from .values import encode as encode_text

MAGIC = b"FUSEFLOW-ARTIFACT 1\n"


KEY = "*"  # the item's key in the name of a node in a run-time loop (`up.*`), as the compiler writes it


KEY_FIELD = "fuseflow_key"  # the input (and the loop item's field) with the item's key


KEYS = "keys"  # the items step's output: the items' keys, which say a list from a dict and the order


RECORD = "fuseflow-record:"  # an item JSON cannot carry exactly travels as a storage record, in base64


FAILURE_DIR = "FUSEFLOW_KFP_FAILURES"  # set by `fusec run --target kfp`: where a failing step reports


SUMMARY_DIR = "FUSEFLOW_KFP_SUMMARY"  # set by `fusec run --target kfp --summary`: where steps say what they did


def report_done(record: dict[str, Any]) -> None:
    """For `fusec run --target kfp --summary` (runtime.summary): what a step did, one small JSON file
    in $FUSEFLOW_KFP_SUMMARY, which kfp.local reads after the run: {"node": NAME, "computed": true}
    (false: loaded from storage), {"decision": NAME, "branch": INDEX}. Nothing elsewhere."""
    folder = os.environ.get(SUMMARY_DIR)
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{os.getpid()}-{time.time_ns()}.json"), "w", encoding="utf-8") as f:
        json.dump(record, f)


class StepError(Exception):
    """The step cannot run as compiled (a fuseflow runtime too old or too new, a missing input)."""


class Arguments:
    """A step's inputs as the runtime's argument values (IR values): parameters decoded,
    results as Refs named after their artifact input (whose headers, with the
    upstream cache keys, are read now; the values only when needed)."""

    def __init__(self, values: dict):
        self.values = values
        self.headers: dict[str, dict] = {}  # artifact input -> its header
        self.params: dict[str, Any] = {}
        self.paths: dict[str, str] = {}  # a run-time loop's result read outside it (`up[2]`) -> its artifact's path
        self.gathered_from: dict[str, tuple[str, list[str]]] = {}  # such a result -> (its list of artifacts,
        # its node, or the nodes of which one ran: a name every branch of an `if` in the loop assigns)
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
        nodes = template["nodes"] if "nodes" in template else [template["node"]]
        self.gathered_from[name] = (template["each"], [node.replace(KEY, key) for node in nodes])
        return graph.ref(name)

    def collected_path(self, each: str, nodes: list[str]) -> str:
        """The path of the result of `nodes`' one node among the artifacts collected in input `each`
        (by their headers: the order in which a backend lists them does not matter)."""
        if each not in self.collected:
            self.collected[each] = {read_header(artifact.path)["node"]: artifact.path
                                    for artifact in self.values.get(each) or ()}
        found = next((self.collected[each][node] for node in nodes if node in self.collected[each]), None)
        if found is None:
            wanted = " or ".join(map(repr, nodes))
            raise StepError(f"the step has no result of {wanted} among the artifacts of {each!r}")
        return found

    def path(self, name: str) -> str:
        return self.paths[name] if name in self.paths else _path(self.values, name)

    def artifact(self, name: str) -> dict:
        header = self.headers[name] = read_header(self.path(name))
        return header

    def results(self) -> dict[str, Any]:
        """The values of the input artifacts, by input name."""
        return {name: read_value(self.path(name)) for name in self.headers}


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


def _path(values: dict, name: str) -> str:
    artifact = values.get(name)
    if artifact is None:
        raise StepError(f"the step has no input artifact {name!r}")
    return artifact.path


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
