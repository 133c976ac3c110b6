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
    {"param": "n", "input": "size", "type": "int"}       a param, maybe with "path"
    {"ref": "data_0", "path": [0]}                       a result, maybe indexed
    {"callable": "m:f"}, {"list": [...]}, {"dict": [[k, t], ...]},
    {"family": "err", "members": [[key, t], ...]}
    {"item": "x", "path": ["kind"]}                      a run-time loop's item (its JSON text)
    {"list": [...], "literal": true}                     a list of constants and items: a constant
    {"gather": {"each": "up", "node": "up.*"}, "keys": "up_keys", "path": [0]}
                                                         a run-time loop's results outside it

A task is in a scope (fuseflow.targets.kfp.scopes): the pipeline's root, or a sub-DAG (a run-time
loop's, an `if`'s group or branch), whose tasks read params and results from outside it through the
sub-DAG's own inputs, as kfp's compiler passes them into a `dsl.ParallelFor` or a `dsl.If`.

Inputs are named after what they carry (`input_name`), so that a reviewer
reads the YAML: a result after its node, the loop keys it shares with the
consumer left out (`parts["X_train"]` in the loop that made `parts` is
`parts_X_train`, `acc["moons"]["knn"]` outside it `acc_moons_knn`); a family's
members after the family and their keys (`acc_moons_knn`); a param after the
param (`size`); a literal after its keyword (`n_neighbors`) or its position
(`arg0`), and the key or index it sits at in a list or dict (`arg1_lr`).

Two nodes whose templates and input types match share one component: a
10,000-node fan-out `f(i)` is one component and 10,000 tasks (every
iteration names its inputs alike).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ... import ir
from .arguments import KEYS
from .loops import KEY_FIELD, Item, holds_item
from .naming import input_name, unique
from .scopes import ARTIFACT_TYPE, LoopScope, Scope
from .values import encode

# KFP's parameter types, by fuseflow's type names ("json": a literal sent as JSON text).
PARAMETER_TYPES = {"int": "NUMBER_INTEGER", "float": "NUMBER_DOUBLE", "str": "STRING", "bool": "BOOLEAN",
                   "list": "LIST", "dict": "STRUCT", "json": "STRING", "status": "TASK_FINAL_STATUS"}
SAFE_INT = 2**53  # beyond this a JSON number (a double) is no longer exact
RESULT, STATE, SELF = "result", "state", "self"
AFTER = "fuseflow_after"  # a task with `after`: the nodes whose --rerun forces it (step.Step.is_forced)
STATUS = "fuseflow_status"  # a `finally` task's: how the rest went (dsl.PipelineTaskFinalStatus)
RESERVED = frozenset({"fuseflow_node", "fuseflow_storage", "fuseflow_rerun", AFTER, KEY_FIELD, RESULT, STATE, SELF,
                      STATUS})


class NodeProblem(ValueError):
    """A node the KFP target cannot express; carries the node for the error's position."""

    def __init__(self, node: ir.Node, message: str):
        super().__init__(message)
        self.node = node


@dataclass
class Inputs:
    """The inputs of one task: the component's declarations and the task's bindings."""

    task_of: dict[str, str]           # node name -> task name
    producer_output: dict[str, str]   # node name -> the output its consumers read
    param_types: dict[str, str]
    pipeline_param: dict[str, str]    # param name -> pipeline input name
    nullable: frozenset[str]          # params whose default is none: optional inputs
    origins: dict[str, tuple[str, tuple[str, ...]]]  # node name -> (its variable, its loop keys)
    keys: tuple[str, ...] = ()        # the consuming node's loop keys
    scope: Scope = field(default_factory=Scope)
    loops: dict[tuple[str, tuple[str, ...]], LoopScope] = field(default_factory=dict)  # Gathered -> its loop
    choose: Callable[[ir.OneOf], tuple[str, str]] | None = None  # a one-of -> (its group's task, output)
    exit_task: str = ""  # the exit handler's task, whose final status a `finally` task reads
    finals: frozenset[str] = frozenset()  # the calls of a `finally` step, which read each other inside it
    parameters: dict[str, dict] = field(default_factory=dict)   # name -> inputDefinitions entry
    artifacts: dict[str, dict] = field(default_factory=dict)
    bindings: dict[str, dict] = field(default_factory=lambda: {"artifacts": {}, "parameters": {}})
    producers: set[str] = field(default_factory=set)            # upstream tasks
    taken: set[str] = field(default_factory=lambda: set(RESERVED))

    def value(self, value: ir.Value, place: tuple = ()) -> dict:
        """The template of a value; its literals, params and results become inputs named
        after what they carry. `place`: where a literal sits (`("arg1", "lr")`)."""
        kind = type(value)
        if kind is ir.Literal:
            if holds_item(value.value):
                return self.with_items(value.value, place)
            return self.literal(value.value, self.unique(*place))
        if kind is ir.Gathered:
            return self.gathered(value)
        if kind is ir.OneOf:
            return self.one_of(value)
        if kind is ir.RunStatus:
            self.final_status()
            return {"status": STATUS, "path": list(value.path)}
        if kind is ir.Imported:
            return {"callable": value.target, "path": list(value.path)} if value.path else {"callable": value.target}
        if kind is ir.ParamRef:
            return self.param(value, self.unique(value.name, *value.path))
        if kind is ir.Ref and value.node in self.finals:  # another call of the same step (kfp.finals)
            return {"final": value.node, "path": list(value.path)} if value.path else {"final": value.node}
        if kind is ir.Ref:
            return self.ref(value, self.unique(*self.source(value.node), *value.path))
        return self.structure(value, place)

    def source(self, node: str, member_keys: int = 0) -> tuple[str, ...]:
        """A node as the consumer sees it: its variable and its loop keys but those of the
        iteration they share (`parts` for the current iteration's `parts.moons`,
        `acc.moons.knn` outside the loops). The last `member_keys` keys, a family
        member's own, always stay: every member of `acc` is named alike in every iteration."""
        variable, keys = self.origins[node]
        if not variable:
            return (node,)
        shared, fixed = 0, min(len(keys) - member_keys, len(self.keys))
        while shared < fixed and keys[shared] == self.keys[shared]:
            shared += 1
        return (variable, *keys[shared:])

    def literal(self, literal: Any, name: str) -> dict:
        """A constant of the task: scalars typed, anything else JSON text (see literal_type)."""
        type_ = literal_type(literal)
        constant = json.dumps(encode(literal), ensure_ascii=False) if type_ == "json" else encode(literal)
        self.parameter(name, type_, {"runtimeValue": {"constant": constant}})
        return {"input": name, "type": type_}

    def structure(self, value: ir.Value, place: tuple) -> dict:
        if type(value) is ir.ListOf:
            return {"list": [self.value(item, (*place, i)) for i, item in enumerate(value.items)]}
        if type(value) is ir.DictOf:
            return {"dict": [[key, self.value(item, (*place, key))] for key, item in value.items]}
        if type(value) is ir.Family:
            return self.family(value)
        raise ValueError(f"unknown IR value {value!r}")

    def family(self, value: ir.Family, depth: int = 1) -> dict:
        """Members named after their nodes (`acc_moons_knn`; `fam_n_u` for `fam["n"]`)."""
        members = []
        for key, member in value.members:
            if type(member) is ir.Family:
                members.append([key, self.family(member, depth + 1)])
            elif type(member) is ir.Ref:
                members.append([key, self.ref(member, self.unique(*self.source(member.node, depth), *member.path))])
            else:
                members.append([key, self.value(member, (value.name, key))])
        return {"family": value.name, "members": members}

    def with_items(self, data: Any, place: tuple) -> dict:
        """Constant data holding the current item (`[x, 1]`): each part an input, made one constant
        again by the step, as the engine makes it for each item."""
        if type(data) is Item:
            return self.item(data)
        if type(data) is list:
            return {"list": [self.with_items(item, (*place, i)) for i, item in enumerate(data)], "literal": True}
        if type(data) is dict:
            return {"dict": [[key, self.with_items(item, (*place, key))] for key, item in data.items()],
                    "literal": True}
        return self.literal(data, self.unique(*place))

    def item(self, item: Item) -> dict:
        """The current item's variable, from the loop item's field of that name: JSON text."""
        name = self.unique(item.name, *item.path)
        self.parameter(name, "json", self.scope.item(item.name))
        return {"item": name, "path": list(item.path)} if item.path else {"item": name}

    def loop_key(self) -> None:
        """The current item's key (the `*` in the node's name), from the loop item."""
        self.parameter(KEY_FIELD, "str", self.scope.key())

    def gathered(self, value: ir.Gathered) -> dict:
        """A run-time loop's results outside it (dsl.Collected): for each node of one item, the list
        of its results over every item, and the items' keys from the items step, which say whether
        the whole is a list or a dict and its order."""
        loop = self.loops[(value.statement, value.keys)]
        members = loop.loop.members(value.statement)
        gather = (self.chosen(loop, value.statement, members) if type(members) is ir.OneOf
                  else self.collected(loop, members))
        template = {"gather": gather, "keys": self.unique(value.statement, "keys"), "statement": value.statement}
        keys = {"parameterType": PARAMETER_TYPES["json"]}
        binding, producer = self.scope.output_parameter(loop.items_task, KEYS, keys)
        self.parameter(template["keys"], "json", binding)
        self.depend(producer)
        if value.path:
            template["path"] = list(value.path)
        return template

    def collected(self, loop: LoopScope, member: ir.Value) -> dict:
        if type(member) is ir.Family:
            return {"family": member.name, "members": [[key, self.collected(loop, inner)]
                                                       for key, inner in member.members]}
        assert type(member) is ir.Ref, "a run-time loop's family ends in its nodes"
        node = member.node
        name = self.unique(*self.source(node))
        self.collect(name, loop, self.task_of[node], self.producer_output[node])
        return {"each": name, "node": node}

    def chosen(self, loop: LoopScope, statement: str, value: ir.OneOf) -> dict:
        """A name every branch of an `if` in the loop assigns, outside it: what the loop's pick task
        passes on for each item (dsl.Collected takes no dsl.OneOf: kfp.conditions), the result of whichever
        branch's node ran (an `if`'s inside a branch too), which the step tells by the artifact's header."""
        nodes = list(dict.fromkeys(ir.referenced_nodes(value)))
        name = self.unique(statement, *self.source(nodes[0])[1:])
        self.collect(name, loop, loop.picks[statement], RESULT)
        return {"each": name, "nodes": nodes}

    def collect(self, name: str, loop: LoopScope, task: str, output: str) -> None:
        """Input `name`: `task`'s `output` over every item of the loop, as its loop task collects it."""
        self.artifacts[name] = {"artifactType": ARTIFACT_TYPE, "isArtifactList": True}
        self.bindings["artifacts"][name], producer = self.scope.artifact(loop.task, loop.collected(task, output), True)
        self.depend(producer)

    def one_of(self, value: ir.OneOf) -> dict:
        """A name every branch of an `if` assigns (dsl.OneOf): the branch taken's result, from the
        output of the `if`'s group whose selectors name each branch's node (kfp.conditions)."""
        assert self.choose is not None, "a one-of is read in a workflow with decisions"
        task, output = self.choose(value)
        first, levels = first_member(value)
        variable = self.origins[first.node][0] or first.node
        name = self.unique(variable.rsplit(".", levels)[0], *first.path)  # `k` of k.if.if
        self.artifacts[name] = {"artifactType": ARTIFACT_TYPE}
        self.bindings["artifacts"][name], producer = self.scope.artifact(task, output)
        self.depend(producer)
        return {"ref": name, "path": list(first.path)} if first.path else {"ref": name}

    def final_status(self) -> None:
        """A `finally` task's input: the final status of the exit handler around the rest, which
        the step makes run_status of (dsl.PipelineTaskFinalStatus)."""
        assert self.exit_task, "run_status is read in `finally`, whose tasks come after the exit handler"
        if STATUS in self.parameters:
            return
        self.parameter(STATUS, "status", {"taskFinalStatus": {"producerTask": self.exit_task}}, optional=True)

    def param(self, value: ir.ParamRef, name: str) -> dict:
        type_ = self.param_types[value.name]
        optional = value.name in self.nullable
        definition = {"parameterType": PARAMETER_TYPES[type_], **({"isOptional": True} if optional else {})}
        binding = self.scope.pipeline_input(self.pipeline_param[value.name], definition)
        self.parameter(name, type_, binding, optional=optional)
        template = {"param": value.name, "input": name, "type": type_}
        if value.path:
            template["path"] = list(value.path)
        return template

    def ref(self, value: ir.Ref, name: str) -> dict:
        self.artifact(name, value.node, self.producer_output[value.node])
        return {"ref": name, "path": list(value.path)} if value.path else {"ref": name}

    def artifact(self, name: str, node: str, output: str) -> None:
        self.artifacts[name] = {"artifactType": ARTIFACT_TYPE}
        self.bindings["artifacts"][name], producer = self.scope.artifact(self.task_of[node], output)
        self.depend(producer)

    def depend(self, producer: str | None) -> None:
        """The task runs after `producer`, a task of its own DAG (None: a read from outside it)."""
        if producer is not None:
            self.producers.add(producer)

    def parameter(self, name: str, type_: str, binding: dict, optional: bool = False) -> None:
        definition: dict[str, Any] = {"parameterType": PARAMETER_TYPES[type_]}
        if optional:
            definition["isOptional"] = True
        self.parameters[name] = definition
        self.bindings["parameters"][name] = binding

    def unique(self, *parts: Any) -> str:
        return unique(input_name(*parts), self.taken, "_")


def first_member(value: ir.OneOf) -> tuple[ir.Ref, int]:
    """The node of a one-of's first branch, however deep the `if`s in its branches nest, and how many
    `if`s down it is: `k` after `if a { if b { k = f() } else { k = g() } } else { k = h() }` is
    k.if.if two levels down, as many branch words as its name has after the name's own."""
    member: ir.Value = value
    levels = 0
    while type(member) is ir.OneOf:
        member, levels = member.members[0], levels + 1
    assert type(member) is ir.Ref, "a one-of's members are nodes or one-ofs (compiler.conditions)"
    return member, levels


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


def call_template(inputs: Inputs, args: tuple[ir.Value, ...], kwargs: tuple[tuple[str, ir.Value], ...],
                  place: tuple[str, ...] = ()) -> dict:
    """{"args": [...], "kwargs": [[name, template], ...]} for a node's arguments; `place`
    starts the names of the inputs its constants take (a step of several calls: the call's)."""
    template: dict[str, Any] = {"args": [inputs.value(value, (*place, f"arg{i}")) for i, value in enumerate(args)]}
    if kwargs:
        template["kwargs"] = [[key, inputs.value(value, (*place, key))] for key, value in kwargs]
    return template
