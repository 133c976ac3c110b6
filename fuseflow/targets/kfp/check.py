"""fuseflow's own check of a pipeline spec: what loading it with kfp does not validate.

kfp's loader checks the spec against the protobuf schema, but not that names
point at something: a `componentRef` to a missing component, a
`dependentTasks` or `producerTask` naming a missing task, a non-string image
all load fine and fail on the cluster. Nor does it see that a component
named after the pipeline (`comp-<pipeline name>`) makes
`load_component_from_file` load that component instead of the pipeline, or
that text in a step's command holds something KFP substitutes as a
placeholder. The sub-DAG of each run-time loop (`dsl.ParallelFor`) is checked
as the root is, against its own inputs. `references(spec, platform)` lists every such problem;
`fusec compile --target kfp` runs it on each pipeline it writes (an empty
list is the only acceptable answer).

    >>> references({"components": {}, "deploymentSpec": {"executors": {}},
    ...             "root": {"dag": {"tasks": {"t": {"componentRef": {"name": "comp-x"}}}}}})
    ["task 't': componentRef 'comp-x' is not a component"]
"""
from __future__ import annotations

import re
from typing import Any

from .values import has_mark

EXECUTOR_INPUT = "{{$}}"  # the one placeholder fuseflow's steps use: the executor input, as an argument

class BrokenPipelineSpec(AssertionError):
    """A generated pipeline spec refers to something that does not exist (a fusec bug)."""


def check(spec: dict, platform: dict | None = None) -> None:
    problems = references(spec, platform)
    if problems:
        raise BrokenPipelineSpec("the generated pipeline spec is inconsistent: " + "; ".join(problems))


def references(spec: dict, platform: dict | None = None) -> list[str]:
    """Every dangling reference in a pipeline spec (and its kfp-kubernetes platform spec)."""
    problems: list[str] = []
    components = _mapping(spec.get("components"))
    executors = _mapping(_mapping(spec.get("deploymentSpec")).get("executors"))
    for name, component in components.items():
        label = _mapping(component).get("executorLabel")
        if label is not None and label not in executors:
            problems.append(f"component {name!r}: executorLabel {label!r} is not an executor")
    for name, executor in executors.items():
        container = _mapping(executor).get("container")
        image = _mapping(container).get("image") if container is not None else None
        if container is not None and (not isinstance(image, str) or not image):
            problems.append(f"executor {name!r}: image is {image!r}, not a non-empty string")
        problems += _placeholders(name, _mapping(container))
    problems += _pipeline_name(spec, components, executors)
    loops = [(f"loop {name!r}", _mapping(c)) for name, c in components.items() if "dag" in _mapping(c)]
    for what, owner in [("pipeline", _mapping(spec.get("root"))), *loops]:
        problems += _dag(_mapping(owner.get("dag")), components, _mapping(owner.get("inputDefinitions")), what)
        problems += _dag_outputs(owner, components, what)
    platform_executors = _mapping(_mapping(_mapping(_mapping(platform).get("platforms")).get("kubernetes"))
                                  .get("deploymentSpec")).get("executors")
    for name in _mapping(platform_executors):
        if name not in executors:
            problems.append(f"platform spec: executor {name!r} is not in deploymentSpec")
    return problems


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _placeholders(executor: str, container: dict) -> list[str]:
    """Every value reaches a step as an input: a placeholder anywhere in its command
    or arguments (but the executor input argument) is text KFP would replace."""
    return [f"executor {executor!r}: {field}[{i}] holds a KFP placeholder"
            for field in ("command", "args") for i, element in enumerate(container.get(field, []))
            if isinstance(element, str) and element != EXECUTOR_INPUT and has_mark(element)]


def _pipeline_name(spec: dict, components: dict, executors: dict) -> list[str]:
    """kfp's loader takes the component or executor named after the pipeline, when
    there is one, for the pipeline itself (kfp.dsl.structures.ComponentSpec.from_ir_dicts)."""
    name = _k8s(str(_mapping(spec.get("pipelineInfo")).get("name", "")))
    clashes = [f"{kind} {prefix + name!r}" for kind, prefix, names in
               (("component", "comp-", components), ("executor", "exec-", executors)) if prefix + name in names]
    return [f"pipeline {name!r}: {clash} has the pipeline's name: kfp would load it instead of the pipeline"
            for clash in clashes]


def _k8s(name: str) -> str:
    """kfp.dsl.utils.maybe_rename_for_k8s."""
    return re.sub("-+", "-", re.sub("[^-0-9a-z]+", "-", name.lower())).strip("-")


def _dag(dag: dict, components: dict, inputs: dict, what: str) -> list[str]:
    """The tasks of the pipeline's DAG or a loop's (`what` names it), which has `inputs`."""
    problems: list[str] = []
    tasks = _mapping(dag.get("tasks"))
    for name, task in tasks.items():
        task = _mapping(task)
        ref = _mapping(task.get("componentRef")).get("name")
        component = components.get(ref)
        if component is None:
            problems.append(f"task {name!r}: componentRef {ref!r} is not a component")
        depends = task.get("dependentTasks", [])
        problems += [f"task {name!r}: dependentTasks names {d!r}, which is not a task"
                     for d in depends if d not in tasks]
        problems += _task_inputs(name, task, tasks, components, component, (what, inputs), depends)
    problems += _exit_tasks(tasks)
    problems += _cycles(tasks)
    return problems


def _exit_tasks(tasks: dict) -> list[str]:
    """KFP's backend makes a task triggered by ALL_UPSTREAM_TASKS_COMPLETED an exit hook of the
    task it follows (one hook per task, reading the final status of its first dependent task):
    such a task follows one task, and no other one follows it so."""
    problems: list[str] = []
    followed: dict[str, str] = {}
    for name, task in tasks.items():
        if _mapping(_mapping(task).get("triggerPolicy")).get("strategy") != "ALL_UPSTREAM_TASKS_COMPLETED":
            continue
        depends = task.get("dependentTasks", [])
        if len(depends) != 1:
            problems.append(f"exit task {name!r}: follows {len(depends)} tasks, not one")
        for before in depends:
            if before in followed:
                problems.append(f"exit tasks {followed[before]!r} and {name!r} both follow {before!r}")
            followed.setdefault(before, name)
    return problems


def _task_inputs(name: str, task: dict, tasks: dict, components: dict, component: dict | None,
                 scope: tuple[str, dict], depends: list) -> list[str]:
    """`scope`: the DAG the task is in, and its inputs."""
    problems: list[str] = []
    inputs = _mapping(task.get("inputs"))
    declared = _mapping(_mapping(component).get("inputDefinitions"))
    iterator = _mapping(task.get("parameterIterator"))
    given = {iterator.get("itemInput")} if iterator else set()  # each iteration's item: the loop gives it
    if iterator and _mapping(iterator.get("items")).get("inputParameter") not in _mapping(inputs.get("parameters")):
        problems.append(f"task {name!r}: parameterIterator iterates {iterator.get('items')!r}, not an input it binds")
    for kind in ("artifacts", "parameters"):
        for key, binding in _mapping(inputs.get(kind)).items():
            if component is not None and key not in _mapping(declared.get(kind)):
                problems.append(f"task {name!r}: input {key!r} is not an input of {task['componentRef']['name']!r}")
            problems += _binding(name, key, _mapping(binding), tasks, components, scope, depends)
    if component is not None:
        for kind in ("artifacts", "parameters"):
            for key, definition in _mapping(declared.get(kind)).items():
                if not _mapping(definition).get("isOptional") and key not in _mapping(inputs.get(kind)) \
                        and key not in given:
                    problems.append(f"task {name!r}: required input {key!r} is not given")
    return problems


def _binding(name: str, key: str, binding: dict, tasks: dict, components: dict, scope: tuple[str, dict],
             depends: list) -> list[str]:
    problems: list[str] = []
    for field, output_kind in (("taskOutputArtifact", "artifacts"), ("taskOutputParameter", "parameters")):
        source = _mapping(binding.get(field))
        if not source:
            continue
        producer = source.get("producerTask")
        if producer not in tasks:
            problems.append(f"task {name!r}: input {key!r} reads producerTask {producer!r}, which is not a task")
            continue
        if producer not in depends:
            problems.append(f"task {name!r}: input {key!r} reads task {producer!r}, which is not in its dependentTasks")
        produced = _outputs_of(tasks[producer], components, output_kind)
        output = source.get("outputArtifactKey" if output_kind == "artifacts" else "outputParameterKey")
        if produced is not None and output not in produced:
            problems.append(f"task {name!r}: input {key!r} reads {output!r}, which task {producer!r} does not produce")
    what, inputs = scope
    for field, kind in (("componentInputParameter", "parameters"), ("componentInputArtifact", "artifacts")):
        source = binding.get(field)
        if source is not None and source not in _mapping(inputs.get(kind)):
            problems.append(f"task {name!r}: input {key!r} reads {what} input {source!r}, which is not declared")
    return problems


def _outputs_of(task: Any, components: dict, kind: str) -> dict | None:
    component = components.get(_mapping(_mapping(task).get("componentRef")).get("name"))
    if component is None:
        return None
    return _mapping(_mapping(_mapping(component).get("outputDefinitions")).get(kind))


def _dag_outputs(owner: dict, components: dict, what: str) -> list[str]:
    """The outputs of the pipeline, or of a loop's sub-DAG (what dsl.Collected gathers)."""
    problems: list[str] = []
    tasks = _mapping(_mapping(owner.get("dag")).get("tasks"))
    declared = _mapping(_mapping(owner.get("outputDefinitions")).get("artifacts"))
    outputs = _mapping(_mapping(_mapping(owner.get("dag")).get("outputs")).get("artifacts"))
    for name, output in outputs.items():
        if name not in declared:
            problems.append(f"{what} output {name!r} is not in outputDefinitions")
        for selector in _mapping(output).get("artifactSelectors", []):
            producer = _mapping(selector).get("producerSubtask")
            if producer not in tasks:
                problems.append(f"{what} output {name!r}: producerSubtask {producer!r} is not a task")
                continue
            produced = _outputs_of(tasks[producer], components, "artifacts")
            key = selector.get("outputArtifactKey")
            if produced is not None and key not in produced:
                problems.append(f"{what} output {name!r}: task {producer!r} has no output {key!r}")
    problems += [f"{what} output {name!r} is declared but not produced" for name in declared if name not in outputs]
    return problems


def _cycles(tasks: dict) -> list[str]:
    """A task that (through dependentTasks) depends on itself."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in tasks:
        if state.get(start):
            continue
        stack = [(start, iter(_mapping(tasks[start]).get("dependentTasks", [])))]
        state[start] = 1
        while stack:
            name, pending = stack[-1]
            following = next((d for d in pending if d in tasks), None)
            if following is None:
                state[name] = 2
                stack.pop()
            elif state.get(following) == 1:
                return [f"task {following!r} depends on itself through dependentTasks"]
            elif not state.get(following):
                state[following] = 1
                stack.append((following, iter(_mapping(tasks[following]).get("dependentTasks", []))))
    return []
