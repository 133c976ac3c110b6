"""The flow a generated flow file defines, built in memory from the IR: `fusec run --target prefect`.

    made = Made()
    graph = runtime.bind(ir_workflow, fuse_path, made)
    outputs = backend.run_flow(build(ir_workflow, graph, made.nodes), graph, settings)

The same flow as fuseflow/targets/prefect/templates/flow.py.j2 writes: one task per
distinct callable (and version), named as there, with `persist_result=False` and
no cache policy; a flow named after the workflow whose parameters are the params;
a body that starts the run (backend.start) and submits every node's task
`.with_options(task_run_name=<node>, <its options>)` with the futures of the nodes it
reads, a method call after the previous call on its object, a node with `after`
waiting for those nodes' futures (`wait_for=`). A run-time loop comes right after
what it reads (layout): the run expands it (run.expand), and the nodes it made are
submitted in order, as the generated loop submits them; its results outside it
come from the run (run.gathered). The options come from the generator's own
mapping (options.py), so the two cannot drift; the conformance suite holds their
runs equal.
"""
from __future__ import annotations

import inspect
from typing import Any

from prefect import flow, task, task_runners
from prefect.cache_policies import NO_CACHE

from ... import ir
from ...codegen import pyexpr
from ...ir.fanout import placed_after
from ...runtime import bind, graph
from ...runtime.graph import Workflow
from ...runtime.invoke import resolve_callable, resolve_imported
from . import backend
from . import generate as spelled
from .options import as_objects

PARAM_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


def build(wf: ir.Workflow, graph: Workflow, made: dict[str, ir.Node] | None = None) -> Any:
    """The workflow's Prefect flow (a prefect.Flow), ready to call with its params. `made`: the
    IR nodes of the graph by name, those run-time loops make included (Made, as bind builds them)."""
    spelled.check(wf)  # what the generator refuses is refused here too, at the file's position
    tasks = Tasks(wf)
    order = [item for item in layout(wf) if type(item) is ir.FanOut or not item.final]  # type: ignore[union-attr]
    finals = [node for node in wf.nodes if node.final]

    def body(**params: Any) -> dict:
        run = backend.start(graph, params)
        futures: dict[str, Any] = {}
        carriers: dict[str, str] = {}  # object -> its last method call so far
        values = FlowValues(futures, params, run)

        def submit(node: ir.Node) -> None:
            args = [values.visit(a) for a in node.args]
            if node.kind == "method":  # the object, as the previous call on it left it
                args.insert(0, futures[carriers.get(node.object, node.object)])
                carriers[node.object] = node.name
            kwargs = {key: values.visit(v) for key, v in node.kwargs}
            after = [futures[name] for name in node.declared_after]  # `after`: waited for, not read
            futures[node.name] = run.submit(tasks.submitted(node), *args, wait_for=after, **kwargs)

        def rest() -> dict:
            for item in order:
                if type(item) is not ir.FanOut:
                    if taken(run, item.when):  # type: ignore[union-attr]  # in no `if`, or in the branch taken
                        submit(item)  # type: ignore[arg-type]
                    continue
                if not taken(run, item.when):  # type: ignore[union-attr]  # in a branch not taken
                    continue
                # a run-time loop: wait for its items, then one task run per node of each, in item order
                run.expand(item.statements()[0], values.visit(spelled.whole(item.iterable)), item.keys)
                for node in run.made:
                    assert made is not None, "a workflow with run-time loops is bound with Made"
                    tasks.index[node.name] = made[node.name]
                    if taken(run, made[node.name].when):  # an item's `if`: its branch taken
                        submit(made[node.name])
            return run.outputs({output.name: values.visit(output.value) for output in wf.outputs})

        if not finals:
            return rest()
        try:  # `finally`: its nodes after the rest, whatever the rest did, as the generated body's try
            return rest()
        except BaseException as error:
            run.failed(error)
            raise
        finally:
            run.closing()
            for node in finals:
                submit(node)
            run.closed()

    body.__name__ = body.__qualname__ = spelled.python_identifier(wf.name)
    body.__signature__ = signature(wf)  # Prefect reads the flow's parameters from it
    return flow(**flow_options(wf))(body)


def taken(run: backend.FlowRun, when: tuple[ir.Branch, ...]) -> bool:
    """Whether the branches of a node are all taken, each `if` around it decided (run.decide) when
    first reached, outermost first: the generated body's `if branch == 0:`."""
    for branch in when:
        if branch.decision not in run.taken:
            run.decide(branch.decision)
        if run.taken[branch.decision] != branch.index:
            return False
    return True


class Made(bind.Builders):
    """bind's graph, keeping the IR node of every node it builds by name (`nodes`), those a run-time
    loop makes as it expands included: the flow body submits them as the generated file does."""

    def __init__(self) -> None:
        self.nodes: dict[str, ir.Node] = {}

    def node(self, node: ir.Node, fn: Any, args: list[ir.Value], kwargs: dict[str, ir.Value]) -> graph.Node:
        self.nodes[node.name] = node
        return super().node(node, fn, args, kwargs)


def layout(wf: ir.Workflow) -> list[ir.Node | ir.FanOut]:
    """The nodes and run-time loops in the order the flow body submits them: a loop right after
    the last node it reads (what it iterates, what its statements read) and the loops before it,
    so before every node that reads its results."""
    position = {node.name: i for i, node in enumerate(wf.nodes)}
    placed: dict[int, list[ir.FanOut]] = {}
    last = -1
    for fanout in wf.fanouts:
        last = max([last, *(position[name] for name in placed_after(fanout, wf.decisions))])
        placed.setdefault(last, []).append(fanout)
    order: list[ir.Node | ir.FanOut] = list(placed.get(-1, []))
    for i, node in enumerate(wf.nodes):
        order += [node, *placed.get(i, [])]
    return order


def signature(wf: ir.Workflow) -> inspect.Signature:
    """Required params first, then those with defaults, typed: as the generated flow's."""
    ordered = [p for p in wf.params if p.required] + [p for p in wf.params if not p.required]
    return inspect.Signature([
        inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=_annotation(p),
                          default=inspect.Parameter.empty if p.required else p.default)
        for p in ordered])


def _annotation(param: ir.Param) -> Any:
    kind = PARAM_TYPES[param.type]
    return kind | None if not param.required and param.default is None else kind


def flow_options(wf: ir.Workflow) -> dict[str, Any]:
    """@flow's keywords: the workflow's name, its task runner, the rest of `options prefect { workflow: }`."""
    options = dict(wf.workflow_options.get("prefect", {}))
    runner, max_workers = options.pop("task_runner", "threads"), options.pop("max_workers", None)
    workers = {} if max_workers is None else {"max_workers": max_workers}
    if runner in spelled.BUILTIN_RUNNERS:
        chosen = getattr(task_runners, spelled.BUILTIN_RUNNERS[runner])(**workers)
    else:
        chosen = backend.task_runner(runner, **workers)
    return {"name": wf.name, "task_runner": chosen, **as_objects(dict(sorted(options.items())), "workflow")}


class Tasks:
    """One task per distinct callable and version, as the generated file defines them."""

    def __init__(self, wf: ir.Workflow):
        self.wf = wf
        self.index = wf.node_index()
        self.made: dict[tuple, Any] = {}
        self.callables = pyexpr.Callables(wf)

    def submitted(self, node: ir.Node) -> Any:
        """The node's task with its options, as the flow submits it."""
        options = spelled.task_options(self.wf, node)
        options.pop("version", None)  # @task's alone
        made = as_objects(options)
        return self.task(node).with_options(task_run_name=spelled.run_name(node.name), **made)

    def task(self, node: ir.Node) -> Any:
        version = node.options.get("prefect", {}).get("version")
        if node.kind == "method":
            key = ("method", self.index[node.object].target, node.target, version)
        else:
            key = ("call", node.target, None, version)
        if key not in self.made:
            self.made[key] = self.make(*key)
        return self.made[key]

    def make(self, group: str, target: str, method: str | None, version: str | None) -> Any:
        label = self.callables.dotted(target) + (f".{method}" if method else "")  # as the file spells it
        if group == "method":
            def run_node(node: backend.NodeRun, args: list, kwargs: dict) -> Any:
                return node.call_method(method, args, kwargs)
        else:
            fn = resolve_callable(target)

            def run_node(node: backend.NodeRun, args: list, kwargs: dict) -> Any:
                return node.call(fn, args, kwargs)
        run_node.__name__ = run_node.__qualname__ = spelled.python_identifier(label.replace(".", "_")) + "_task"
        extra = {} if version is None else {"version": version}
        return task(name=label, persist_result=False, cache_policy=NO_CACHE, **extra)(run_node)


class FlowValues(ir.Visitor):
    """An IR value in the flow body: futures of the nodes read, params by name, indexing
    through backend.at: what generate.FlowValue writes as source."""

    def __init__(self, futures: dict[str, Any], params: dict[str, Any], run: backend.FlowRun):
        self.futures = futures
        self.params = params
        self.run = run

    def visit_Literal(self, v: ir.Literal) -> Any:
        return v.value

    def visit_ParamRef(self, v: ir.ParamRef) -> Any:
        return backend.at(self.params[v.name], *v.path) if v.path else self.params[v.name]

    def visit_Ref(self, v: ir.Ref) -> Any:
        found = self.futures[v.node]
        return backend.at(found, *v.path) if v.path else found

    def visit_Imported(self, v: ir.Imported) -> Any:
        return resolve_imported(v.target, v.path)

    def visit_ListOf(self, v: ir.ListOf) -> list:
        return [self.visit(item) for item in v.items]

    def visit_DictOf(self, v: ir.DictOf) -> dict:
        return {key: self.visit(item) for key, item in v.items}

    def visit_Family(self, v: ir.Family) -> dict:
        return {key: self.visit(member) for key, member in v.members}

    def visit_Gathered(self, v: ir.Gathered) -> Any:
        return self.run.gathered(v.statement, *v.path, keys=v.keys)

    def visit_RunStatus(self, v: ir.RunStatus) -> Any:
        return self.run.status(*v.path)

    def visit_OneOf(self, v: ir.OneOf) -> Any:
        """A name every branch of an `if` assigns: the future of the branch taken."""
        if v.decision not in self.run.taken:
            self.run.decide(v.decision)
        return self.visit(v.members[self.run.taken[v.decision]])

