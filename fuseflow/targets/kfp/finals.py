"""`finally` on KFP: the exit task of the `dsl.ExitHandler` around the rest (spec.exit_handler).

KFP runs one exit task per handler: kfp's DSL takes one (`dsl.ExitHandler(task)`), and KFP's
backend makes each task triggered by `ALL_UPSTREAM_TASKS_COMPLETED` an exit hook of the task it
follows, one hook per task (a second one replaces the first), reading the final status of its
first dependent task. So a `finally` of one call is that call's step, as kfp's compiler writes
`dsl.ExitHandler(call)`; a `finally` of several calls is one step (kind "finally") that runs
them, in order and reading each other, through the engine (runtime.final.run_finals), as every
other target runs them: one container, so their KFP settings must agree.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...ir import Node
from ...ir.record import replace
from .inputs import Inputs, NodeProblem, call_template
from .scopes import ROOT

if TYPE_CHECKING:
    from .options import NodeSettings
    from .spec import _Builder

FINALLY_TASK = "finally"  # the task of several `finally` calls
TRIGGER = {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}  # after the handler, whatever its state


def exit_task(builder: _Builder, finals: list[Node]) -> tuple[str, dict]:
    """(task name, task) of the handler's one exit task."""
    if len(finals) == 1:
        return builder.names.tasks[finals[0].name], one_call(builder, finals[0])
    return builder.finally_task, several_calls(builder, finals)


def one_call(builder: _Builder, node: Node) -> dict:
    """The call's own step, never taken from KFP's cache nor stored (option cache: false)."""
    task = builder.node_task(uncached(node), ROOT)
    task["dependentTasks"] = [builder.exit_task]  # reads no other task: `finally` reads no node of the rest
    task["triggerPolicy"] = dict(TRIGGER)
    return task


def several_calls(builder: _Builder, finals: list[Node]) -> dict:
    """One step running every call (kind "finally"): the params and constants they read its
    inputs, the handler's final status `fuseflow_status`, a call's result read by another
    passed inside the step (template {"final": node})."""
    settings = [builder.settings(uncached(node)) for node in finals]
    for node, own in zip(finals[1:], settings[1:], strict=True):
        if _executor(own) != _executor(settings[0]):
            raise NodeProblem(node, f"the calls of `finally` run in one KFP step, with the image, resources, "
                                    f"packages and Kubernetes settings of {finals[0].name!r}: give this call "
                                    f"the same options")
    inputs = builder.inputs()
    inputs.finals = frozenset(node.name for node in finals)
    inputs.final_status()
    calls = [_call(inputs, node, own) for node, own in zip(finals, settings, strict=True)]
    component = builder.factory.for_finals(calls, inputs, settings[0])
    task: dict[str, Any] = dict(settings[0].task)
    task["componentRef"] = {"name": component.name}
    task["dependentTasks"] = [builder.exit_task]
    task["inputs"] = {kind: bound for kind, bound in inputs.bindings.items() if bound}
    task["taskInfo"] = {"name": builder.finally_task}
    task["triggerPolicy"] = dict(TRIGGER)
    return task


def _call(inputs: Inputs, node: Node, settings: NodeSettings) -> dict:
    if node.kind != "call":  # the front end allows calls only in `finally`
        raise ValueError(f"a `finally` node of kind {node.kind!r}")
    call = {"name": node.name, "target": node.target, **call_template(inputs, node.args, node.kwargs, (node.name,))}
    if settings.step:
        call["options"] = settings.step
    return call


def _executor(settings: NodeSettings) -> tuple:
    return settings.container, settings.install, settings.modules, settings.platform


def uncached(node: Node) -> Node:
    """The node with option cache: false: a `finally` call always runs and keeps nothing."""
    neutral = {**node.options.get("neutral", {}), "cache": False}
    return replace(node, options={**node.options, "neutral": neutral})
