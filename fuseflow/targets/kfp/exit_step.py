"""The step of several `finally` calls (kind "finally", kfp.finals): the exit task of the
dsl.ExitHandler around the rest, which runs every call through the engine, in order, as the
other targets run them (runtime.final.run_finals)::

    {"kind": "finally", "workflow": "models", "status": "fuseflow_status",
     "calls": [{"name": "notify", "target": "ops:notify", "args": [TEMPLATE, ...],
                "kwargs": [[NAME, TEMPLATE], ...], "options": {"seed": 7}}, ...]}

A TEMPLATE is a step's (kfp.step), plus {"final": NODE} for another call's result. run_status
is the handler's final status, read as every `finally` step reads it (step.run_status). Like
kfp.step, this module never imports kfp.
"""
from __future__ import annotations

from typing import Any

from ... import ir
from ...ir.indexing import IndexProblem, indexed
from ...runtime import execute, graph
from ...runtime.final import run_finals
from ...runtime.invoke import NodeFailed, RunFailed, resolve_callable
from ...runtime.prepare import RunSettings
from ...runtime.summary import Summary
from .arguments import Arguments, decode_parameter, report_done, run_status


class FinalArguments(Arguments):
    """A call's arguments as the engine takes them: another call's result a Ref, run_status the
    IR's RunStatus (run_finals puts the status in), a param its value."""

    def marker(self, template: dict) -> ir.Value:
        path = tuple(template.get("path", ()))
        if "final" in template:
            return graph.ref(template["final"], *path)
        if "status" in template:
            return ir.RunStatus(path)
        if "param" in template:
            value = ir.Literal(decode_parameter(self.values.get(template["input"]), template["type"]))
            try:
                return indexed(value, path)
            except IndexProblem as exc:
                raise RunFailed(f"{template['param']}{''.join(f'[{k!r}]' for k in path)}: {exc}") from None
        return super().marker(template)


def run_finally(spec: dict, values: dict) -> None:
    """Run the calls, run_status being how the rest went; NodeFailed names the call that failed."""
    inputs = FinalArguments(values)
    calls = [_node(inputs, call) for call in spec["calls"]]
    wf = graph.Workflow(spec["workflow"], calls, finals=calls)
    status = run_status(values.get(spec["status"]))
    summary = Summary()
    run_finals(wf, status, {}, RunSettings(progress=False, summary=summary), execute.run)
    for name in summary.nodes:  # all computed: `finally` is never stored
        report_done({"node": name, "computed": True})


def _node(inputs: FinalArguments, call: dict[str, Any]) -> graph.Node:
    try:  # the user's module may be missing from the image: the call's failure
        fn = resolve_callable(call["target"])
        args = [inputs.marker(t) for t in call.get("args", ())]
        kwargs = {k: inputs.marker(t) for k, t in call.get("kwargs", ())}
    except (ImportError, AttributeError) as exc:
        raise NodeFailed(call["name"], exc) from None
    return graph.Node(call["name"], "call", fn, args, kwargs, dict(call.get("options", {})))
