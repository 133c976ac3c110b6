"""Where a task is, and so how it reads what other tasks made: the DAG of the pipeline's root, or of a
sub-DAG component (a run-time loop's iteration, an `if`'s group, a branch).

    ROOT.artifact("base", "result")                 # ({"taskOutputArtifact": ...}, "base"): read directly
    branch = ChannelScope(ROOT)
    branch.artifact("base", "result")               # ({"componentInputArtifact": "pipelinechannel--base-result"},
                                                    #  None): an input of the branch, which its task binds
    loop = LoopScope(RunTimeLoop(fanout), "for-x-in-numbers", "for-x-in-numbers-items", needed, inside)

A task in a sub-DAG reads its own DAG's tasks directly and everything else through inputs of the
sub-DAG component, named and bound level by level as kfp's compiler passes them
(`pipelinechannel--n`, `pipelinechannel--base-result`).
"""
from __future__ import annotations

from typing import Any

from .loops import KEY_FIELD, RunTimeLoop
from .naming import unique

ITEMS = "Output"  # the items step's return value, as kfp names it: dsl.ParallelFor iterates it
ARTIFACT_TYPE = {"schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"}


def channel_of(task: str, output: str) -> str:
    """A task's output as the DAG around it passes it on, named as kfp's compiler names it: an input of a
    sub-DAG reading it (`pipelinechannel--base-result`), a sub-DAG's output selecting it."""
    return f"pipelinechannel--{task}-{output}"


class Scope:
    """The pipeline's root DAG: tasks read pipeline inputs and each other's outputs directly."""

    def pipeline_input(self, name: str, definition: dict) -> dict:
        """The binding of a pipeline input (a param, the store's URL, --rerun)."""
        return {"componentInputParameter": name}

    def artifact(self, task: str, output: str, listed: bool = False) -> tuple[dict, str | None]:
        """(binding, the task to depend on) of a task's output artifact (`listed`: a loop's, collected)."""
        return {"taskOutputArtifact": {"outputArtifactKey": output, "producerTask": task}}, task

    def output_parameter(self, task: str, output: str, definition: dict) -> tuple[dict, str | None]:
        """(binding, the task to depend on) of a task's output parameter (the items step's keys)."""
        return {"taskOutputParameter": {"outputParameterKey": output, "producerTask": task}}, task

    def after(self, task: str) -> str | None:
        """The task a task of this scope lists in dependentTasks to run after `task`."""
        return task

    def item(self, var: str) -> dict:
        raise AssertionError("an item is read inside its run-time loop only")

    def key(self) -> dict:
        raise AssertionError("an item's key is read inside its run-time loop only")

    def in_loop(self) -> bool:
        """Whether its tasks are one iteration's of a run-time loop (their names have `*` for the key)."""
        return False


ROOT = Scope()


class ChannelScope(Scope):
    """The DAG of a sub-DAG component (a run-time loop, a condition group, a branch): its own tasks (`inside`) read
    one another directly, and what is outside through the component's inputs, which its task in
    the `parent` scope binds (`pipelinechannel--n`, `pipelinechannel--base-result`)."""

    def __init__(self, parent: Scope):
        self.parent = parent
        self.inside: set[str] = set()
        self.parameters: dict[str, dict] = {}
        self.artifacts: dict[str, dict] = {}
        self.bindings: dict[str, dict] = {"artifacts": {}, "parameters": {}}
        self.dependencies: set[str] = set()

    def pipeline_input(self, name: str, definition: dict) -> dict:
        channel = f"pipelinechannel--{name}"
        self.parameters[channel] = definition
        self.bindings["parameters"][channel] = self.parent.pipeline_input(name, definition)
        return {"componentInputParameter": channel}

    def artifact(self, task: str, output: str, listed: bool = False) -> tuple[dict, str | None]:
        if task in self.inside:
            return super().artifact(task, output)
        channel = channel_of(task, output)
        self.artifacts[channel] = {"artifactType": ARTIFACT_TYPE, **({"isArtifactList": True} if listed else {})}
        binding, producer = self.parent.artifact(task, output, listed)
        self.bindings["artifacts"][channel] = binding
        self.depend(producer)
        return {"componentInputArtifact": channel}, None

    def output_parameter(self, task: str, output: str, definition: dict) -> tuple[dict, str | None]:
        if task in self.inside:
            return super().output_parameter(task, output, definition)
        binding, producer = self.parent.output_parameter(task, output, definition)
        self.depend(producer)
        return self.parameter(channel_of(task, output), definition, binding), None

    def depend(self, producer: str | None) -> None:
        """The component's task runs after `producer`, a task of its parent's DAG (None: none there)."""
        if producer is not None:
            self.dependencies.add(producer)

    def after(self, task: str) -> str | None:
        if task in self.inside:
            return task
        self.depend(self.parent.after(task))
        return None

    def item(self, var: str) -> dict:
        return self._loop_item(self.parent.item(var))

    def key(self) -> dict:
        return self._loop_item(self.parent.key())

    def in_loop(self) -> bool:
        return self.parent.in_loop()

    def _loop_item(self, read: dict) -> dict:
        """A field of the loop's item, read inside a sub-DAG of the loop's (an `if`'s group, a branch):
        the item comes in as an input of the same name at every level, as kfp's compiler passes it."""
        channel = read["componentInputParameter"]
        self.parameter(channel, {"parameterType": "STRING"}, {"componentInputParameter": channel})
        return read

    def parameter(self, channel: str, definition: dict, binding: dict) -> dict:
        """An input parameter of the component (the decision's output, the loop's item), bound by its task."""
        self.parameters[channel] = definition
        self.bindings["parameters"][channel] = binding
        return {"componentInputParameter": channel}

    def inputs(self) -> dict:
        return {kind: dict(sorted(bound.items())) for kind, bound in self.bindings.items() if bound}

    def input_definitions(self) -> dict:
        found: dict[str, Any] = {}
        if self.artifacts:
            found["artifacts"] = dict(sorted(self.artifacts.items()))
        if self.parameters:
            found["parameters"] = dict(sorted(self.parameters.items()))
        return found


class LoopScope(ChannelScope):
    """The DAG of a run-time loop (`dsl.ParallelFor`): a sub-DAG of the root, or of the `if` branch the
    loop is in (`parent`), whose tasks (`inside`) read one another directly, and the rest through the
    loop component's inputs, named as kfp's compiler names them (`pipelinechannel--n`,
    `pipelinechannel--base-result`), which the loop task binds; each iteration reads its item from the
    items step's list."""

    def __init__(self, loop: RunTimeLoop, task: str, items_task: str, needed: set[str], inside: set[str],
                 parent: Scope = ROOT):
        super().__init__(parent)
        self.loop = loop
        self.task = task  # the loop's task in its parent's DAG, beside the items task
        self.items_task = items_task
        self.needed = needed  # the loop's nodes that what reads its results needs
        self.inside = inside  # their tasks
        taken = {KEY_FIELD}  # the loop item's fields: the key, and each variable's JSON text
        self.fields = {var: unique(var, taken, "_") for var in loop.fanout.vars}
        self.items_input = channel_of(items_task, ITEMS)
        self.item_input = self.items_input + "-loop-item"
        self.parameters.update({self.items_input: {"parameterType": "LIST"},
                                self.item_input: {"parameterType": "STRING"}})
        self.bindings["parameters"][self.items_input] = {
            "taskOutputParameter": {"outputParameterKey": ITEMS, "producerTask": items_task}}
        self.dependencies.add(items_task)
        self.outputs: dict[str, tuple[str, str]] = {}  # output -> (inner task, its output): dsl.Collected
        self.picks: dict[str, str] = {}  # a name every branch of an `if` assigns, read outside -> its pick task

    def item(self, var: str) -> dict:
        return self._field(self.fields[var])

    def key(self) -> dict:
        return self._field(KEY_FIELD)

    def in_loop(self) -> bool:
        return True

    def _field(self, field: str) -> dict:
        return {"componentInputParameter": self.item_input,
                "parameterExpressionSelector": f'parseJson(string_value)["{field}"]'}

    def collected(self, task: str, output: str) -> str:
        """The loop's output that collects `task`'s `output` over every item (dsl.Collected)."""
        name = channel_of(task, output)
        self.outputs[name] = (task, output)
        return name
