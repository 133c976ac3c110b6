"""Run-time loops as KFP tasks: an items step, and a loop task (`dsl.ParallelFor`) over the list it hands out.

    loops = ParallelFors(builder)
    loops.read(needed, tasks)        # the loops whose results a needed node or an output reads, with their scopes
    inner = loops.iteration(scope)   # one iteration's tasks (kfp.loops makes its nodes), and the items task
    loops.place(scope)               # the loop task, once what the iteration reads from outside is known
    loops.component(scope, inner)    # its sub-DAG, and what is collected of it for the tasks outside

The tasks reading a loop's results outside it read the loop task's outputs (dsl.Collected) and the
items task's keys (kfp.inputs.Inputs.gathered).

A loop inside an `if` branch (ir.FanOut.when) has its items task and its loop task in the branch's
sub-DAG, as a KFP user writes a dsl.ParallelFor inside a dsl.If: they run only when the branch is
taken, what the loop reads from outside the branch comes in through the branch's inputs, and the
tasks of the branch read its results directly:

    with dsl.If(decided.output == 0):
        numbers = upto(n=n)
        items = fuseflow_items(numbers=numbers.outputs["result"])
        with dsl.ParallelFor(items.outputs["Output"]) as item:
            d = double(x=item.x)
        result_if = collect(d=dsl.Collected(d.outputs["result"]), d_keys=items.outputs["keys"])
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import ir
from ...ir import Node
from . import options as kfp_options
from .inputs import NodeProblem
from .loops import KEY, RunTimeLoop
from .naming import k8s_name, unique
from .scopes import ARTIFACT_TYPE, ROOT, LoopScope

if TYPE_CHECKING:
    from .spec import _Builder


class ParallelFors:
    """The run-time loops of a pipeline that something reads, as KFP tasks."""

    def __init__(self, builder: _Builder):
        self.builder = builder
        self.scopes: list[LoopScope] = []
        self.gathered: dict[tuple[str, tuple[str, ...]], LoopScope] = {}  # (statement, keys) -> its loop
        self.component_name: dict[str, str] = {}  # loop task -> its component
        self.dags: dict[str, dict[str, dict]] = {}  # loop task -> the DAG it and its items task are in

    def read(self, needed: list[Node], tasks: dict[str, dict]) -> None:
        """The run-time loops whose results a needed node or an output reads, with their scopes; a loop in
        an `if` branch in the DAG of that branch, in the root's DAG `tasks` (kfp.conditions)."""
        builder = self.builder
        assert builder.conditions is not None, "a loop in a branch is placed once the branches can be made"
        read: dict[int, set[str]] = {}
        values = [*(value for node in needed for value in node.values()), *(o.value for o in builder.wf.outputs)]
        for value in values:
            for inner in ir.walk(value):
                if type(inner) is ir.Gathered:
                    fanout = ir.gathering(builder.wf.fanouts, inner)
                    assert fanout is not None, "a Gathered value names a run-time loop of the workflow"
                    read.setdefault(builder.wf.fanouts.index(fanout), set()).add(inner.statement)
        if not builder.wf.returned:  # without `return` every node runs: those of the body's `if` branches too
            for i, loop in enumerate(builder.runtime_loops):
                branched = {node.statement for node in loop.nodes if node.when and node.kind != "object"}
                if branched:
                    read.setdefault(i, set()).update(branched)
        for i, loop in enumerate(builder.runtime_loops):
            if i not in read:
                continue
            task = unique(loop_name(loop), builder.taken_tasks)
            items = unique(task + "-items", builder.taken_tasks)
            needed = loop.needs(read[i])
            dag, parent = builder.conditions.place(loop.fanout.when, tasks, ROOT)
            for made in (task, items):
                builder.conditions.inside(parent, made)
            scope = LoopScope(loop, task, items, needed, {builder.names.tasks[name] for name in needed}, parent)
            self.scopes.append(scope)
            self.dags[task] = dag
            self.component_name[task] = "comp-" + unique(task, builder.factory.taken)
            for statement in (*loop.fanout.statements(), *loop.merged):
                self.gathered[(statement, loop.fanout.keys)] = scope
            # a name every branch of an `if` assigns: a task passes on the branch taken's result (kfp.conditions)
            chosen = sorted(read[i] & loop.merged.keys())
            scope.picks = {name: unique(k8s_name(name), builder.taken_tasks) for name in chosen}

    def iteration(self, scope: LoopScope) -> dict[str, dict]:
        """The tasks of one iteration (its nodes, its `if`s, its pick tasks); the items task in its DAG."""
        builder = self.builder
        inner: dict[str, dict] = {}
        for node in scope.loop.nodes:
            if node.name not in scope.needed:
                continue
            other = [name for name in node.dependencies() if KEY in name and name not in scope.loop.index]
            if other:
                how = "runs after" if other[0] in node.declared_after else "reads"
                raise NodeProblem(node, f"it {how} {other[0].partition('.')[0]}, the nodes of another run-time "
                                        "loop, which the KFP target does not pass into a loop yet")
            builder.place(node, inner, scope)
        assert builder.conditions is not None, "a loop's tasks are made once the decisions' tasks can be made"
        for name, task in scope.picks.items():
            inner[task] = builder.conditions.pick_task(scope, name)
        self.dags[scope.task][scope.items_task] = self.items_task(scope)
        return inner

    def items_task(self, scope: LoopScope) -> dict:
        """The step that hands out the loop's items (kind "items" of fuseflow.targets.kfp.step)."""
        builder = self.builder
        fanout = scope.loop.fanout
        inputs = builder.inputs((), scope.parent)
        spec = {"vars": [[var, scope.fields[var]] for var in fanout.vars], "where": scope.loop.where,
                "iterable": inputs.value(fanout.iterable)}
        component = builder.factory.for_items(spec, inputs, kfp_options.settings(None, builder.wf))
        task: dict[str, Any] = {"cachingOptions": {"enableCache": True}, "componentRef": {"name": component.name}}
        if inputs.producers:
            task["dependentTasks"] = sorted(inputs.producers)
        task["inputs"] = {kind: bound for kind, bound in inputs.bindings.items() if bound}
        task["taskInfo"] = {"name": f"items of {scope.loop.where}"}
        return task

    def place(self, scope: LoopScope) -> None:
        """The loop's task, kfp's `dsl.ParallelFor(items)` (one iteration per item), beside its items task."""
        fanout = scope.loop.fanout
        keys = f" ({', '.join(fanout.keys)})" if fanout.keys else ""
        self.dags[scope.task][scope.task] = {
            "componentRef": {"name": self.component_name[scope.task]},
            "dependentTasks": sorted(scope.dependencies),
            "inputs": {kind: dict(sorted(bound.items())) for kind, bound in scope.bindings.items() if bound},
            "parameterIterator": {"itemInput": scope.item_input, "items": {"inputParameter": scope.items_input}},
            "taskInfo": {"name": f"for {', '.join(fanout.vars)} in {scope.loop.where}{keys}"},
        }

    @staticmethod
    def component(scope: LoopScope, tasks: dict) -> dict:
        """The loop's sub-DAG: one iteration's tasks, and what is collected of them for the tasks outside."""
        dag: dict[str, Any] = {"tasks": tasks}
        definition: dict[str, Any] = {"dag": dag, "inputDefinitions": {}}
        if scope.outputs:
            collected = sorted(scope.outputs.items())
            dag["outputs"] = {"artifacts": {name: {"artifactSelectors": [{"outputArtifactKey": output,
                                                                          "producerSubtask": task}]}
                                            for name, (task, output) in collected}}
            listed = {"artifactType": ARTIFACT_TYPE, "isArtifactList": True}
            definition["outputDefinitions"] = {"artifacts": {name: listed for name, _ in collected}}
        if scope.artifacts:
            definition["inputDefinitions"]["artifacts"] = dict(sorted(scope.artifacts.items()))
        definition["inputDefinitions"]["parameters"] = dict(sorted(scope.parameters.items()))
        return definition


def loop_name(loop: RunTimeLoop) -> str:
    """A run-time loop's task: `for-x-in-numbers`, and the keys of the static loop iteration it is
    in unless what it iterates names them (`for-x-in-data-moons`)."""
    fanout = loop.fanout
    name = k8s_name(f"for {' '.join(fanout.vars)} in {loop.where.removeprefix('param ')}", "for")
    keys = k8s_name(" ".join(fanout.keys), "")
    return name if not keys or name.endswith(keys) else f"{name}-{keys}"
