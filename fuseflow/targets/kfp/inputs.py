"""A node's arguments as component inputs, and what the step rebuilds them from.

Each argument becomes a component input: a literal (nested ones too) is a
parameter whose value is a constant of the task, a param a parameter fed by
the pipeline input, a node's result an artifact from the producing task (its
indexing, `data[0]`, is done by the consumer). A list, dict or loop family
gives one input per literal, param or result inside it. Values travel as
data, never in the step's command, and strings KFP could read as
placeholders are encoded (fuseflow.targets.kfp.values). Alongside, a
*template* tells the step which input holds what (see
fuseflow.targets.kfp.step):

    {"input": "arg0", "type": "int"}                     a literal
    {"param": "n", "input": "kw_n", "type": "int"}       a param, maybe with "path"
    {"ref": "arg1", "path": [0]}                         a result, maybe indexed
    {"callable": "m:f"}, {"list": [...]}, {"dict": [[k, t], ...]},
    {"family": "err", "members": [[key, t], ...]}

Two nodes whose templates and input types match share one component: a
10,000-node fan-out `f(i)` is one component and 10,000 tasks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ... import ir
from .values import encode

# KFP's parameter types, by fuseflow's type names ("json": a literal sent as JSON text).
PARAMETER_TYPES = {"int": "NUMBER_INTEGER", "float": "NUMBER_DOUBLE", "str": "STRING", "bool": "BOOLEAN",
                   "list": "LIST", "dict": "STRUCT", "json": "STRING"}
SAFE_INT = 2**53  # beyond this a JSON number (a double) is no longer exact
RESULT, STATE, SELF = "result", "state", "self"
RESERVED = frozenset({"fuseflow_node", "fuseflow_storage", "fuseflow_rerun", RESULT, STATE, SELF})


@dataclass
class Inputs:
    """The inputs of one task: the component's declarations and the task's bindings."""

    task_of: dict[str, str]           # node name -> task name
    producer_output: dict[str, str]   # node name -> the output its consumers read
    param_types: dict[str, str]
    pipeline_param: dict[str, str]    # param name -> pipeline input name
    nullable: frozenset[str]          # params whose default is none: optional inputs
    parameters: dict[str, dict] = field(default_factory=dict)   # name -> inputDefinitions entry
    artifacts: dict[str, dict] = field(default_factory=dict)
    bindings: dict[str, dict] = field(default_factory=lambda: {"artifacts": {}, "parameters": {}})
    producers: set[str] = field(default_factory=set)            # upstream tasks
    taken: set[str] = field(default_factory=lambda: set(RESERVED))

    def value(self, value: ir.Value, name: str) -> dict:
        """The template of a value; literals, params and results become inputs named after `name`."""
        kind = type(value)
        if kind is ir.Literal:
            return self.literal(value.value, self.unique(name))
        if kind is ir.Imported:
            return {"callable": value.target}
        if kind is ir.ParamRef:
            return self.param(value, self.unique(name))
        if kind is ir.Ref:
            return self.ref(value, self.unique(name))
        return self.structure(value, name)

    def literal(self, literal: Any, name: str) -> dict:
        """A constant of the task: scalars typed, anything else JSON text (see literal_type)."""
        type_ = literal_type(literal)
        constant = json.dumps(encode(literal), ensure_ascii=False) if type_ == "json" else encode(literal)
        self.parameter(name, type_, {"runtimeValue": {"constant": constant}})
        return {"input": name, "type": type_}

    def structure(self, value: ir.Value, name: str) -> dict:
        holes = _Counter(name)
        if type(value) is ir.ListOf:
            return {"list": [self.value(item, holes.next()) for item in value.items]}
        if type(value) is ir.DictOf:
            return {"dict": [[key, self.value(item, holes.next())] for key, item in value.items]}
        if type(value) is ir.Family:
            return self.family(value, holes)
        raise ValueError(f"unknown IR value {value!r}")

    def family(self, value: ir.Family, holes: _Counter) -> dict:
        members = [[key, self.family(m, holes) if type(m) is ir.Family else self.value(m, holes.next())]
                   for key, m in value.members]
        return {"family": value.name, "members": members}

    def param(self, value: ir.ParamRef, name: str) -> dict:
        type_ = self.param_types[value.name]
        binding = {"componentInputParameter": self.pipeline_param[value.name]}
        self.parameter(name, type_, binding, optional=value.name in self.nullable)
        template = {"param": value.name, "input": name, "type": type_}
        if value.path:
            template["path"] = list(value.path)
        return template

    def ref(self, value: ir.Ref, name: str) -> dict:
        self.artifact(name, value.node, self.producer_output[value.node])
        return {"ref": name, "path": list(value.path)} if value.path else {"ref": name}

    def artifact(self, name: str, node: str, output: str) -> None:
        task = self.task_of[node]
        self.artifacts[name] = {"artifactType": ARTIFACT_TYPE}
        self.bindings["artifacts"][name] = {"taskOutputArtifact": {"outputArtifactKey": output, "producerTask": task}}
        self.producers.add(task)

    def parameter(self, name: str, type_: str, binding: dict, optional: bool = False) -> None:
        definition: dict[str, Any] = {"parameterType": PARAMETER_TYPES[type_]}
        if optional:
            definition["isOptional"] = True
        self.parameters[name] = definition
        self.bindings["parameters"][name] = binding

    def unique(self, name: str) -> str:
        return unique(name, self.taken, "_")


ARTIFACT_TYPE = {"schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"}


def unique(name: str, taken: set[str], sep: str = "-") -> str:
    """`name`, or `name-2`, `name-3`, ... : the first one not taken (then taken)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{sep}{n}"
    taken.add(candidate)
    return candidate


class _Counter:
    """Names for the inputs inside one structured argument: arg0_0, arg0_1, ..."""

    def __init__(self, base: str):
        self.base, self.n = base, 0

    def next(self) -> str:
        name = f"{self.base}_{self.n}"
        self.n += 1
        return name


def literal_type(value: Any) -> str:
    """The parameter type a literal travels as; "json" for lists, dicts, none and huge ints."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -SAFE_INT <= value <= SAFE_INT else "json"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "json"


def call_template(inputs: Inputs, args: tuple[ir.Value, ...], kwargs: tuple[tuple[str, ir.Value], ...]) -> dict:
    """{"args": [...], "kwargs": [[name, template], ...]} for a node's arguments."""
    template: dict[str, Any] = {"args": [inputs.value(value, f"arg{i}") for i, value in enumerate(args)]}
    if kwargs:
        template["kwargs"] = [[key, inputs.value(value, f"kw_{key}")] for key, value in kwargs]
    return template
