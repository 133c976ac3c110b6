"""IR -> the KFP v2 pipeline spec and the kfp-kubernetes platform spec, as plain data.

    pipeline, platform, names = build(workflow)

One task per node, one component (and executor) per distinct callable,
signature and container settings, the pipeline's inputs from the params, its
outputs from the workflow's outputs. A run-time loop is a `dsl.ParallelFor`
(a loop task over a sub-DAG component) over the items a small step hands out,
its results collected for the tasks outside it (`dsl.Collected`): see
fuseflow.targets.kfp.parallel_for and fuseflow.targets.kfp.loops. An `if` is a dsl.If/Elif/Else group on what a small
step decides, a name every branch assigns a dsl.OneOf: see
fuseflow.targets.kfp.conditions. `kfp_yaml.dump` writes the data; nothing here
imports kfp.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ... import ir
from ...ir import Node, Output, Workflow, needed_nodes
from . import options as kfp_options
from .component import KFP_SDK_VERSION, ComponentFactory
from .conditions import Conditions
from .finals import FINALLY_TASK, exit_task
from .inputs import AFTER, PARAMETER_TYPES, RESULT, SELF, STATE, Inputs, NodeProblem, call_template
from .loops import RunTimeLoop
from .naming import k8s_name, unique
from .parallel_for import ParallelFors
from .scopes import ARTIFACT_TYPE, ROOT, Scope, channel_of
from .values import encode

SCHEMA_VERSION = "2.1.0"
STORAGE_INPUT, RERUN_INPUT = "fuseflow_storage", "fuseflow_rerun"
OUTPUTS_TASK = "fuseflow-outputs"


@dataclass
class Names:
    """How fuseflow names map to KFP names (fusec run reads outputs back with it)."""

    pipeline: str
    tasks: dict[str, str] = field(default_factory=dict)     # node -> task
    outputs: dict[str, str] = field(default_factory=dict)   # workflow output -> pipeline output
    outputs_task: bool = False  # some outputs are assembled by the fuseflow-outputs task
    storage_input: str = STORAGE_INPUT
    rerun_input: str = RERUN_INPUT


def build(wf: Workflow, modules: dict[str, dict[str, str]] | None = None) -> tuple[dict, dict, Names]:
    """(pipeline spec, platform spec or {}, names). `modules`: embedded module
    sources by module name (see kfp_modules.find_modules)."""
    return _Builder(wf, modules or {}).build()






class _Builder:
    def __init__(self, wf: Workflow, modules: dict[str, dict[str, str]]):
        self.wf = wf
        self.runtime_loops = [RunTimeLoop(fanout) for fanout in wf.fanouts]
        every = [*wf.nodes, *(node for loop in self.runtime_loops for node in loop.nodes)]  # loops' as one item's
        self.nodes = {node.name: node for node in every}
        taken_inputs = {p.name for p in wf.params}
        self.names = Names(
            pipeline=k8s_name(wf.name, "pipeline")[:128].strip("-") or "pipeline",
            storage_input=unique(STORAGE_INPUT, taken_inputs, "_"),
            rerun_input=unique(RERUN_INPUT, taken_inputs, "_"),
        )
        taken_tasks = {OUTPUTS_TASK}
        self.names.tasks = {node.name: unique(k8s_name(node.name), taken_tasks) for node in every}
        self.taken_tasks = taken_tasks
        self.factory = ComponentFactory(wf, modules, self.names.pipeline, every)
        self.param_types = {p.name: p.type for p in wf.params}
        self.pipeline_param = {p.name: p.name for p in wf.params}
        self.nullable = frozenset(p.name for p in wf.params if not p.required and p.default is None)
        self.settings_cache: dict[str, kfp_options.NodeSettings] = {}
        self.producer_output = {node.name: STATE if node.kind == "object" else RESULT for node in every}
        self.origins = {node.name: (node.statement, node.keys) for node in every}
        self.loops = ParallelFors(self)  # the run-time loops' tasks (kfp.parallel_for)
        self.sub_dags: dict[str, dict] = {}  # the components of the loops, the `if`s' groups and branches
        self.conditions: Conditions | None = None  # the decisions' tasks, made as their nodes are placed
        self.finals = [node for node in wf.nodes if node.final]  # `finally`: the exit task (dsl.ExitHandler)
        self.exit_task = unique("exit-handler", taken_tasks) if self.finals else ""
        self.finally_task = unique(FINALLY_TASK, taken_tasks) if len(self.finals) > 1 else ""

    def build(self) -> tuple[dict, dict, Names]:
        tasks = {}
        needed = needed_nodes(self.wf)  # with `return`, what no output needs does not run, as on every target
        self.conditions = Conditions(self)
        self.loops.read([node for node in self.wf.nodes if node.name in needed], tasks)
        for node in self.wf.nodes:
            if node.name in needed:
                self.place(node, tasks, ROOT)
        loops = {scope.task: self.loops.iteration(scope) for scope in self.loops.scopes}
        outputs = self.outputs(tasks)  # the loops' results are collected for it, so before the loops are written
        for scope in self.loops.scopes:  # in their DAGs before the branches a loop may be in are written
            self.loops.place(scope)
        self.sub_dags.update(self.conditions.finish())  # every one-of read is known
        for scope in self.loops.scopes:  # last: the groups of their `if`s are in their DAGs
            self.sub_dags[self.loops.component_name[scope.task]] = self.loops.component(scope, loops[scope.task])
        if self.finals:
            tasks, outputs = self.exit_handler(tasks, outputs)
        return self.pipeline_spec(tasks, outputs), self.platform_spec(), self.names

    def place(self, node: Node, tasks: dict, scope: Scope) -> None:
        """The node's task in the DAG `tasks` of `scope` (the root's, a run-time loop's), or, in an `if`'s
        branches, in the DAG of the branch it is in (kfp.conditions)."""
        assert self.conditions is not None, "nodes are placed once the decisions' tasks can be made"
        dag, inner = self.conditions.place(node.when, tasks, scope) if node.when else (tasks, scope)
        self.conditions.inside(inner, self.names.tasks[node.name])
        dag[self.names.tasks[node.name]] = self.node_task(node, inner)

    def node_task(self, node: Node, scope: Scope) -> dict:
        try:
            return self.task(node, scope)
        except kfp_options.OptionProblem as problem:
            raise NodeProblem(node, str(problem)) from None

    def pipeline_spec(self, tasks: dict, outputs: dict) -> dict:
        components = self.factory.components()
        spec = {
            "components": {**{c.name: c.definition for c in components}, **self.sub_dags},
            "deploymentSpec": {"executors": {c.executor: c.executor_spec for c in components}},
            "pipelineInfo": self.pipeline_info(),
            "root": {"dag": {"tasks": tasks}, "inputDefinitions": {"parameters": self.root_inputs()}},
            "schemaVersion": SCHEMA_VERSION,
            "sdkVersion": f"kfp-{KFP_SDK_VERSION}",
        }
        if outputs:
            spec["root"]["dag"]["outputs"] = {"artifacts": outputs}
            declared = {name: {"artifactType": ARTIFACT_TYPE} for name in outputs}
            spec["root"]["outputDefinitions"] = {"artifacts": declared}
        root = self.wf.workflow_options.get("kfp", {}).get("pipeline_root")
        if root:
            spec["defaultPipelineRoot"] = root
        return spec

    def platform_spec(self) -> dict:
        """The kfp-kubernetes document: each executor's Kubernetes settings ({} when none has any)."""
        executors = {c.executor: c.platform for c in self.factory.components() if c.platform}
        return {"platforms": {"kubernetes": {"deploymentSpec": {"executors": executors}}}} if executors else {}

    # --- tasks ---------------------------------------------------------------------------

    def inputs(self, keys: tuple[str, ...] = (), scope: Scope = ROOT) -> Inputs:
        """The inputs of a task for a node with these loop keys (the outputs task has none), in `scope`."""
        return Inputs(self.names.tasks, self.producer_output, self.param_types, self.pipeline_param,
                      self.nullable, self.origins, keys, scope, self.loops.gathered, self.choose, self.exit_task)

    def choose(self, value: ir.OneOf) -> tuple[str, str]:
        assert self.conditions is not None, "one-of values are read once the decisions' tasks exist"
        return self.conditions.choose(value)

    def settings(self, node: Node) -> kfp_options.NodeSettings:
        """The node's settings; computed once for all the nodes with the same options."""
        key = repr(node.options)
        found = self.settings_cache.get(key)
        if found is None:
            found = self.settings_cache[key] = kfp_options.settings(node, self.wf)
        return found

    def task(self, node: Node, scope: Scope = ROOT) -> dict:
        settings = self.settings(node)
        inputs = self.inputs(node.keys, scope)
        if node.kind == "method":  # the object as the previous call on it left it
            previous = node.after[0] if node.after else node.object
            inputs.artifact(SELF, previous, STATE)
        template = call_template(inputs, node.args, node.kwargs)
        if node.final:  # an exit task: it reads the exit handler's final status, as every one does
            inputs.final_status()
        constant = {"runtimeValue": {"constant": encode(node.name)}}
        inputs.parameter("fuseflow_node", "str", constant)
        if scope.in_loop():  # the node's name has the item's key for its `*`
            inputs.loop_key()
        run_input = {"parameterType": "STRING"}
        inputs.parameter("fuseflow_storage", "str", scope.pipeline_input(self.names.storage_input, run_input))
        inputs.parameter("fuseflow_rerun", "str", scope.pipeline_input(self.names.rerun_input, run_input))
        if node.declared_after:  # --rerun of a node it runs after (or of what that one follows) forces it
            names = json.dumps(encode(self.followed(node)), ensure_ascii=False)
            inputs.parameter(AFTER, "json", {"runtimeValue": {"constant": names}})
        component = self.factory.for_node(node, template, inputs, settings)
        task: dict[str, Any] = dict(settings.task)
        task["componentRef"] = {"name": component.name}
        after = (scope.after(self.names.tasks[name]) for name in node.after)
        dependencies = inputs.producers | {task for task in after if task is not None}
        if dependencies:
            task["dependentTasks"] = sorted(dependencies)
        task["inputs"] = {kind: bound for kind, bound in inputs.bindings.items() if bound}
        task["taskInfo"] = {"name": settings.display_name or display_name(node)}
        return task

    def followed(self, node: Node) -> list[str]:
        """The nodes of its `after` and all they depend on, sorted: a --rerun of any of them forces
        it, as runtime.plan.forced_nodes does (a task reads no artifact of those, which would
        carry it: `after` is kfp's `.after()`, a dependency alone)."""
        found: set[str] = set()
        pending = list(node.declared_after)
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                pending.extend(self.nodes[name].dependencies())
        return sorted(found)

    # --- finally: dsl.ExitHandler --------------------------------------------------------------

    def exit_handler(self, tasks: dict, outputs: dict) -> tuple[dict, dict]:
        """The rest inside an exit handler (a task over a sub-DAG of every task so far), `finally`
        after it: its one exit task, run when the handler has ended, whatever its state, reading
        its final status (dsl.PipelineTaskFinalStatus), as kfp's compiler writes dsl.ExitHandler
        (kfp.finals). Never stored: its step keeps nothing (option cache: false)."""
        inputs: dict[str, dict] = {}  # the pipeline inputs the rest reads, passed in as kfp passes them
        for task in tasks.values():
            for binding in task.get("inputs", {}).get("parameters", {}).values():
                root = binding.get("componentInputParameter")
                if root is not None:
                    channel = inputs.setdefault(root, {"channel": f"pipelinechannel--{root}"})["channel"]
                    binding["componentInputParameter"] = channel
        definitions = self.root_inputs()
        component = "comp-" + unique(self.exit_task, self.factory.taken)
        selected: dict[str, dict] = {}  # the rest's outputs, as the exit handler's
        rerouted: dict[str, dict] = {}
        for name, selector in outputs.items():
            (inner,) = selector["artifactSelectors"]
            channel = channel_of(inner["producerSubtask"], inner["outputArtifactKey"])
            selected[channel] = selector
            rerouted[name] = {"artifactSelectors": [{"outputArtifactKey": channel, "producerSubtask": self.exit_task}]}
        definition: dict[str, Any] = {"dag": {"tasks": tasks}, "inputDefinitions": {"parameters": {
            channel["channel"]: {"parameterType": definitions[root]["parameterType"]}
            for root, channel in sorted(inputs.items())}}}
        if selected:
            definition["dag"]["outputs"] = {"artifacts": dict(sorted(selected.items()))}
            definition["outputDefinitions"] = {"artifacts": {name: {"artifactType": ARTIFACT_TYPE}
                                                             for name in sorted(selected)}}
        self.sub_dags[component] = definition
        handler = {"componentRef": {"name": component},
                   "inputs": {"parameters": {channel["channel"]: {"componentInputParameter": root}
                                             for root, channel in sorted(inputs.items())}},
                   "taskInfo": {"name": self.exit_task}}
        name, closing = exit_task(self, self.finals)  # one exit task per handler (kfp.finals)
        return {self.exit_task: handler, name: closing}, rerouted

    # --- pipeline inputs and outputs -------------------------------------------------------

    def root_inputs(self) -> dict:
        parameters = {}
        for p in self.wf.params:
            definition: dict[str, Any] = {"parameterType": PARAMETER_TYPES[p.type]}
            if not p.required:
                definition["defaultValue"] = encode(p.default)  # strings KFP would take for placeholders
                definition["isOptional"] = True
            parameters[p.name] = definition
        run_inputs = ((self.names.storage_input, storage_default(self.wf.storage)), (self.names.rerun_input, ""))
        for name, default in run_inputs:
            parameters[name] = {"defaultValue": encode(default), "isOptional": True, "parameterType": "STRING"}
        return parameters

    def outputs(self, tasks: dict) -> dict:
        """Pipeline outputs: a node's whole result straight from its task; anything
        else (indexing, a family, a list) through one `fuseflow-outputs` task."""
        taken: set[str] = set()
        selectors, assembled = {}, []
        for output in self.wf.outputs:
            name = unique(output_name(output.name), taken, "_")
            self.names.outputs[output.name] = name
            value = output.value
            if type(value) is ir.Ref and not value.path and self.nodes[value.node].kind != "object":
                producer = self.names.tasks[value.node]
                selectors[name] = {"artifactSelectors": [{"outputArtifactKey": RESULT, "producerSubtask": producer}]}
            else:
                assembled.append((name, output))
                selectors[name] = {"artifactSelectors": [{"outputArtifactKey": name, "producerSubtask": OUTPUTS_TASK}]}
        if assembled:
            tasks[OUTPUTS_TASK] = self.outputs_task(assembled)
            self.names.outputs_task = True
        return selectors

    def outputs_task(self, assembled: list[tuple[str, Output]]) -> dict:
        inputs = self.inputs()
        inputs.taken.update(name for name, _ in assembled)
        entries = [[name, output.name, inputs.value(output.value, (name,))] for name, output in assembled]
        component = self.factory.for_outputs(entries, inputs, kfp_options.settings(None, self.wf))
        task: dict[str, Any] = {"cachingOptions": {"enableCache": True}, "componentRef": {"name": component.name}}
        if inputs.producers:
            task["dependentTasks"] = sorted(inputs.producers)
        task["inputs"] = {kind: bound for kind, bound in inputs.bindings.items() if bound}
        task["taskInfo"] = {"name": "outputs"}
        return task

    def pipeline_info(self) -> dict:
        options = self.wf.workflow_options.get("kfp", {})
        info = {"name": self.names.pipeline}
        if options.get("description"):
            info["description"] = options["description"]
        display = options.get("display_name") or (self.wf.name if self.wf.name != self.names.pipeline else None)
        if display:
            info["displayName"] = display
        return info


def output_name(name: str) -> str:
    """A pipeline output's name as kfp accepts it: ASCII letters, digits and '_',
    starting with a letter (kfp.dsl.pipeline_channel). Never a name the step's
    program reads (they start with '_', see kfp_component.TEMPLATE_NAMES)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return name if name[:1].isalpha() else "output" + name


def display_name(node: Node) -> str:
    """`model (linear, poly1)` for a loop node, the node's name otherwise."""
    if node.keys and node.statement:
        return f"{node.statement} ({', '.join(node.keys)})"
    return node.name


def storage_default(storage: str | None) -> str:
    """The workflow's storage as a pod would use it: a URL (s3://...) or an absolute
    path (on a volume mounted in every step); a relative path means nothing there."""
    if not storage:
        return ""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", storage) or storage.startswith(("/", "file:/")):
        return storage
    return ""


def parameter_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
