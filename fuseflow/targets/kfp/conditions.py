"""`if` / `elif` / `else` as KFP writes them: dsl.If / dsl.Elif / dsl.Else on what a small step decides.

    decide  = fuseflow-decide(tests)                 # task `if-1`: returns the branch's index
    with dsl.If(decide.output == 0): ...            # tasks `if-1-branches` > `if-1-if`, `if-1-elif1`, ...
    with dsl.Elif(decide.output == 1): ...
    with dsl.Else(): ...
    chosen = dsl.OneOf(x_if.outputs["result"], ...)  # the name every branch assigns

Each decision (ir.Decision) is a step of kind "decide" (fuseflow.targets.kfp.step) that
evaluates its tests as the engine does (ir.conditions) and returns the index of the branch
taken; a task over a sub-DAG component holds one task per branch (each a sub-DAG of the
branch's nodes) whose trigger policy is that index, as kfp's compiler writes an
If/Elif/Else group (`condition-branches-1` over `condition-2`, ...). A node after the `if`
that reads a name every branch assigns reads the group's output, whose artifact selectors
name each branch's node (dsl.OneOf). What a branch reads from outside comes in through
the components' inputs (`pipelinechannel--...`), as kfp's compiler passes it.

An `if` inside a run-time loop's body (ir.FanOut.decisions) is written in the loop's sub-DAG, once,
as the loop's other tasks are (kfp.loops): its decide step reads the item, the item's tasks and
the item's key (`if-1.*` decides `if-1.0`, `if-1.1`, ...), its group and branches are sub-DAGs of
the loop's, and the item comes into them as kfp passes it. A name every branch assigns is read
inside the loop as the group's output; after the loop, what every item chose is collected. kfp
(2.17) refuses dsl.Collected(dsl.OneOf(...)) ("dsl.OneOf cannot be used inside of dsl.Collected")
and fails to compile dsl.Collected of a task inside a dsl.If inside a dsl.ParallelFor, so a small
*pick* step in the loop takes the one-of and passes its artifact on, and the loop collects that,
as a KFP user writes it:

    with dsl.ParallelFor(items) as item:
        ...
        r = dsl.OneOf(r_if.outputs["result"], r_else.outputs["result"])
        picked = fuseflow_pick(r=r)                                    # task `r`
    collect(r=dsl.Collected(picked.outputs["result"]))

A name a branch assigns through an `if` of its own (a one-of among a one-of's members: k.if.if,
k.if.else, k.else) is picked the same way inside that branch, the pick's result the branch's member
of the outer one-of: kfp (2.17) refuses dsl.OneOf(dsl.OneOf(...), ...) ("dsl.OneOf cannot be used
inside of another dsl.OneOf") and fails to compile a dsl.OneOf of the inner branches' tasks:

    with dsl.If(outer.output == 0):
        ...                                                            # the inner `if`
        k_if = fuseflow_pick(k_if=dsl.OneOf(k_if_if.outputs["result"], k_if_else.outputs["result"]))
    with dsl.Else():
        k_else = ...
    last = show(k=dsl.OneOf(k_if.outputs["result"], k_else.outputs["result"]))
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import ir
from ...ir.conditions import shown, where
from . import options as kfp_options
from .inputs import RESULT, Inputs, first_member
from .loops import KEY
from .naming import k8s_name, unique
from .scopes import ARTIFACT_TYPE, ITEMS, ChannelScope, LoopScope, Scope, channel_of

if TYPE_CHECKING:
    from .spec import _Builder

OUTPUT = ITEMS  # the decide step's return value, as kfp names it: `decide.output`
Sources = tuple[tuple[str, str], ...]  # what each branch of an `if` gives a one-of: (a task, its output)


@dataclass
class Branch:
    index: int
    task: str  # in the group's DAG
    component: str
    scope: ChannelScope
    tasks: dict[str, dict] = field(default_factory=dict)  # the branch's own DAG
    outputs: dict[str, tuple[str, str]] = field(default_factory=dict)  # channel -> (its task, that task's output)


@dataclass
class Group:
    """One decision: its decide task and the group of its branches, in the `parent` scope's DAG."""

    decision: ir.Decision
    parent: Scope
    parent_tasks: dict[str, dict]
    decide_task: str
    task: str
    component: str
    scope: ChannelScope
    branches: dict[int, Branch] = field(default_factory=dict)
    # a one-of's members, each (its task, that task's output) in its branch's DAG -> the group's output
    outputs: dict[Sources, str] = field(default_factory=dict)


class Conditions:
    """The decisions of a workflow as KFP tasks: where each node's task goes (`place`), the
    one-of outputs consumers read (`choose`), and the components, written last (`finish`)."""

    def __init__(self, builder: _Builder):
        self.builder = builder
        # the workflow's, and one iteration's of each run-time loop (`if-1.*`, in the loop's DAG)
        every = [*builder.wf.decisions, *(decision for loop in builder.runtime_loops for decision in loop.decisions)]
        self.decisions = {decision.name: decision for decision in every}
        self.written = dict(self.decisions)  # their tests as the file writes them (`size`, not the item's field)
        for loop in builder.runtime_loops:
            # an `if` in a static loop of the body is made once per iteration (`if-1.*.0`, `if-1.*.1`) of
            # the one the body writes (`if-1.*.*`): matched by its number
            templates = {decision.name.split(".")[0]: decision for decision in loop.fanout.decisions}
            self.written.update((made.name, templates[made.name.split(".")[0]]) for made in loop.decisions)
        self.groups: dict[str, Group] = {}  # in the order they are opened: outer ones first
        self.picks: dict[Sources, str] = {}  # a one-of read through a branch -> the pick task there
        self.components: dict[str, dict] = {}

    def place(self, when: tuple[ir.Branch, ...], tasks: dict[str, dict], scope: Scope) -> tuple[dict[str, dict], Scope]:
        """(the DAG's tasks, the scope) a node in the branches `when` goes in, from the DAG `tasks` of
        `scope` its `if`s are in (the root's, a run-time loop's)."""
        for branch in when:
            group = self.group(branch.decision, tasks, scope)
            found = group.branches.get(branch.index) or self.branch(group, branch.index)
            tasks, scope = found.tasks, found.scope
        return tasks, scope

    def group(self, name: str, tasks: dict[str, dict], scope: Scope) -> Group:
        found = self.groups.get(name)
        if found is not None:
            return found
        taken = self.builder.taken_tasks
        decide = unique(k8s_name(name, "if"), taken)
        task = unique(f"{decide}-branches", taken)
        group = Group(self.decisions[name], scope, tasks, decide, task,
                      "comp-" + unique(task, self.builder.factory.taken), ChannelScope(scope))
        if isinstance(scope, ChannelScope):
            scope.inside.update({decide, task})
        tasks[decide] = self.decide_task(group)
        self.groups[name] = group
        return group

    def branch(self, group: Group, index: int) -> Branch:
        word = group.decision.branch_words()[index]
        task = unique(f"{group.decide_task}-{word}", self.builder.taken_tasks)
        made = Branch(index, task, "comp-" + unique(task, self.builder.factory.taken), ChannelScope(group.scope))
        group.scope.inside.add(task)
        group.branches[index] = made
        return made

    def inside(self, scope: Scope, task: str) -> None:
        """A node's task made in `scope` (a branch's: reads of it there are direct)."""
        if isinstance(scope, ChannelScope):
            scope.inside.add(task)

    def decide_task(self, group: Group) -> dict:
        """The step that evaluates the tests and returns the branch's index (kind "decide")."""
        builder = self.builder
        inputs = builder.inputs((), group.parent)
        seen: dict[ir.Value, dict] = {}  # an operand read twice (`a > 1 and a < 5`) is one input
        tests = [test_template(inputs, test, (f"test{i}",), seen) for i, test in enumerate(group.decision.tests)]
        if group.parent.in_loop():  # its name has the item's key for its `*` (step.decide)
            inputs.loop_key()
        spec = {"tests": tests, "where": where(group.decision), "decision": group.decision.name}
        component = builder.factory.for_decision(spec, inputs, kfp_options.settings(None, builder.wf))
        task: dict[str, Any] = {"cachingOptions": {"enableCache": True}, "componentRef": {"name": component.name}}
        if inputs.producers:
            task["dependentTasks"] = sorted(inputs.producers)
        task["inputs"] = {kind: bound for kind, bound in inputs.bindings.items() if bound}
        task["taskInfo"] = {"name": where(group.decision)}
        return task

    def choose(self, value: ir.OneOf) -> tuple[str, str]:
        """(the group's task, its output) of a name every branch assigns: dsl.OneOf of its nodes."""
        group = self.groups[value.decision]
        members = self.sources(value)
        found = group.outputs.get(members)
        if found is None:
            found = group.outputs[members] = f"pipelinechannel--{group.task}-oneof-{len(group.outputs) + 1}"
        return group.task, found

    def sources(self, value: ir.OneOf) -> Sources:
        """What each branch gives the one-of: its node's output, or, for a name the branch assigns through
        an `if` of its own, the output of a pick task there passing that `if`'s choice on (kfp 2.17 refuses
        a dsl.OneOf among a dsl.OneOf's members, and fails on one whose member is in a nested dsl.If)."""
        group = self.groups[value.decision]
        found = []
        for index, member in enumerate(value.members):
            if type(member) is ir.Ref:
                found.append((self.builder.names.tasks[member.node], self.builder.producer_output[member.node]))
            else:
                assert type(member) is ir.OneOf, "a one-of's members are nodes or one-ofs (compiler.conditions)"
                found.append((self.branch_pick(group.branches.get(index) or self.branch(group, index), member),
                              RESULT))
        return tuple(found)

    def branch_pick(self, branch: Branch, value: ir.OneOf) -> str:
        """The pick task in `branch` passing on the choice `value` of an `if` inside it (`k.if`, its name as
        the branch holds it, for nodes k.if.if and k.if.else), made once."""
        key = self.sources(value)
        if key not in self.picks:
            first, levels = first_member(value)
            statement, keys = self.builder.origins[first.node]
            name = statement.rsplit(".", levels)[0]
            task = self.picks[key] = unique(k8s_name(".".join((name, *keys))), self.builder.taken_tasks)
            label = f"{name} ({', '.join(keys)})" if keys else name
            branch.tasks[task] = self.pick(branch.scope, unindexed(value), label)
            self.inside(branch.scope, task)
        return self.picks[key]

    def pick_task(self, loop: LoopScope, name: str) -> dict:
        """The task passing on, for each item, the result of the branch taken of `name` (a name every
        branch of an `if` of the loop's body assigns), which the loop collects for the tasks after it."""
        return self.pick(loop, loop.loop.members(name), f"{name} ({', '.join((*loop.loop.fanout.keys, KEY))})")

    def pick(self, scope: Scope, value: ir.Value, label: str) -> dict:
        """A task of `scope` passing on the result of the branch taken of the one-of `value` (kind "pick")."""
        builder = self.builder
        inputs = builder.inputs((), scope)
        spec = {"input": inputs.value(value)["ref"]}
        component = builder.factory.for_pick(spec, inputs, kfp_options.settings(None, builder.wf))
        return {"cachingOptions": {"enableCache": True}, "componentRef": {"name": component.name},
                "dependentTasks": sorted(inputs.producers), "inputs": {"artifacts": inputs.bindings["artifacts"]},
                "taskInfo": {"name": label}}

    def finish(self) -> dict[str, dict]:
        """The groups' tasks (in their parents' DAGs) and every component; inner decisions first,
        so that what their branches read from outside reaches the outer ones' inputs."""
        for group in reversed(list(self.groups.values())):
            self.finish_group(group)
        return self.components

    def finish_group(self, group: Group) -> None:
        channel = channel_of(group.decide_task, OUTPUT)
        definition = {"parameterType": "NUMBER_INTEGER"}
        decided = {"taskOutputParameter": {"outputParameterKey": OUTPUT, "producerTask": group.decide_task}}
        group.scope.parameter(channel, definition, decided)
        tasks = {}
        for index, branch in sorted(group.branches.items()):
            branch.scope.parameter(channel, definition, {"componentInputParameter": channel})
            for members in group.outputs:
                branch.outputs[channel_of(*members[index])] = members[index]
            tasks[branch.task] = {
                "componentRef": {"name": branch.component},
                **({"dependentTasks": sorted(branch.scope.dependencies)} if branch.scope.dependencies else {}),
                "inputs": branch.scope.inputs(),
                "taskInfo": {"name": self.branch_label(self.written[group.decision.name], index)},
                "triggerPolicy": {"condition": trigger(channel, index, len(group.decision.tests))},
            }
            self.components[branch.component] = component(branch.tasks, branch.scope, {
                name: [(task, output)] for name, (task, output) in sorted(branch.outputs.items())})
        selectors = {output: [(group.branches[i].task, channel_of(*members[i])) for i in sorted(group.branches)]
                     for members, output in group.outputs.items()}
        self.components[group.component] = component(tasks, group.scope, selectors)
        group.parent_tasks[group.task] = {
            "componentRef": {"name": group.component},
            "dependentTasks": sorted({group.decide_task, *group.scope.dependencies}),
            "inputs": group.scope.inputs(),
            "taskInfo": {"name": group.decision.name},
        }

    @staticmethod
    def branch_label(decision: ir.Decision, index: int) -> str:
        if index == len(decision.tests):
            return "else"
        word = "if" if index == 0 else "elif"
        return f"{word} {shown(decision.tests[index])}"


def unindexed(value: ir.Value) -> ir.Value:
    """A one-of as a whole, without the use's indexing (`k["x"]`): a pick task passes a whole result on."""
    if type(value) is ir.OneOf:
        return ir.OneOf(value.decision, tuple(unindexed(member) for member in value.members))
    assert type(value) is ir.Ref, "a one-of's members are nodes or one-ofs (compiler.conditions)"
    return ir.Ref(value.node)


def trigger(channel: str, index: int, tests: int) -> str:
    """A branch's trigger policy, as kfp's compiler writes dsl.If / dsl.Elif / dsl.Else on the decide
    step's output: not the branches before it, and its own (none for the `else`)."""
    def holds(i: int) -> str:
        return f"int(inputs.parameter_values['{channel}']) == {i}"

    return " && ".join([*(f"!({holds(i)})" for i in range(index)), *([holds(index)] if index < tests else [])])


def component(tasks: dict, scope: ChannelScope, outputs: dict[str, list[tuple[str, str]]]) -> dict:
    """A sub-DAG component: its tasks, its inputs, and its outputs (artifacts selected from its
    tasks: several for a one-of, whichever ran)."""
    dag: dict[str, Any] = {"tasks": tasks}
    definition: dict[str, Any] = {"dag": dag, "inputDefinitions": scope.input_definitions()}
    if outputs:
        dag["outputs"] = {"artifacts": {name: {"artifactSelectors": [
            {"outputArtifactKey": output, "producerSubtask": task} for task, output in selected]}
            for name, selected in sorted(outputs.items())}}
        definition["outputDefinitions"] = {"artifacts": {name: {"artifactType": ARTIFACT_TYPE}
                                                         for name in sorted(outputs)}}
    return definition


def test_template(inputs: Inputs, test: ir.Value, place: tuple, seen: dict[ir.Value, dict]) -> dict:
    """A test as the decide step reads it: {"compare": op, "left": T, "right": T}, {"and": [...]},
    {"or": [...]}, {"not": T}, or an operand's template (inputs.Inputs.value; `seen`: those made)."""
    kind = type(test)
    if kind is ir.Compare:
        assert isinstance(test, ir.Compare)
        return {"compare": test.op, "left": test_template(inputs, test.left, (*place, "left"), seen),
                "right": test_template(inputs, test.right, (*place, "right"), seen)}
    if kind in (ir.And, ir.Or):
        word = "and" if kind is ir.And else "or"
        return {word: [test_template(inputs, item, (*place, i), seen)
                       for i, item in enumerate(test.items)]}  # type: ignore[attr-defined]
    if kind is ir.Not:
        return {"not": test_template(inputs, test.item, place, seen)}  # type: ignore[attr-defined]
    if test not in seen:
        seen[test] = inputs.value(test, place)
    return seen[test]



