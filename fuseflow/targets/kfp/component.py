"""Components and executors: one per distinct callable, signature and settings.

An executor has the shape of a kfp lightweight Python component (what
`@dsl.component` compiles to and what `kfp.local` runs): `sh -c` installing
packages when there are any, then `sh -ec` writing the embedded program to a
file and running kfp's executor on it with `--executor_input` and
`--function_to_execute`. The embedded program (templates/kfp/component.py.j2)
is a typed function whose body hands everything to fuseflow.targets.kfp.step.
"""
from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from ... import __version__
from ...codegen.render import render
from ...ir import Node, Workflow
from . import command_text
from .inputs import KEYS, RESERVED, RESULT, STATE, STATUS, Inputs
from .naming import unique
from .options import NodeSettings
from .scopes import ARTIFACT_TYPE, ITEMS
from .step import PROTOCOL

PACKAGE = __package__  # where this target's templates are
KFP_SDK_VERSION = "2.17.3"  # the kfp release whose output this target matches (and installs in steps)

_PYTHON_TYPES = {"NUMBER_INTEGER": "int", "NUMBER_DOUBLE": "float", "STRING": "str", "BOOLEAN": "bool",
                 "LIST": "list", "STRUCT": "dict", "TASK_FINAL_STATUS": "PipelineTaskFinalStatus"}
# The names the embedded program binds and reads (templates/kfp/component.py.j2), builtins
# included: the step's function never takes one of them. (Its parameters are inputs and
# outputs, which start with a letter and are no keyword (inputs.input_name, spec.output_name);
# its body reads only `_fuseflow_run` and them.)
TEMPLATE_NAMES = frozenset({"_SPEC", "_MODULES", "_fuseflow_run", "kfp", "dsl", *dir(builtins)})
_K8S = re.compile(r"[^a-z0-9]+")
PROGRAM = ('program_path=$(mktemp -d)\n\n'
           'printf "%s" "$0" > "$program_path/ephemeral_component.py"\n'
           '_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main'
           ' --component_module_path "$program_path/ephemeral_component.py" "$@"\n')
INSTALL = ('\nif ! [ -x "$(command -v pip)" ]; then\n'
           '    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\n'
           'fi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 {commands} && "$0" "$@"\n')
KFP_INSTALL = ["--no-deps", 'typing-extensions>=3.7.4,<5; python_version<"3.9"']


@dataclass
class Component:
    name: str        # comp-...
    executor: str    # exec-...
    function: str    # the embedded program's function
    definition: dict
    executor_spec: dict
    platform: dict = field(default_factory=dict)


class ComponentFactory:
    """Hands out components, making a new one only for a new shape."""

    def __init__(self, wf: Workflow, modules: dict[str, dict[str, str]], pipeline: str, nodes: list[Node]):
        """`nodes`: the workflow's and its run-time loops' (one item's: kfp.loops)."""
        self.wf = wf
        self.modules = modules
        self.by_shape: dict[str, Component] = {}
        # kfp's loader would take a component named after the pipeline for the pipeline itself
        self.taken: set[str] = {pipeline}
        self.objects = {node.name: node.target for node in nodes if node.kind == "object"}

    def components(self) -> list[Component]:
        return list(self.by_shape.values())

    def for_node(self, node: Node, template: dict, inputs: Inputs, settings: NodeSettings) -> Component:
        if node.kind == "method":
            callable_name = f"{self.objects[node.object].partition(':')[2]}.{node.target}"
        else:
            callable_name = node.target.partition(":")[2]
        # a used workflow's node keeps its result in that workflow, under its name there (ir.Use)
        workflow, _ = self.wf.stored_at(node)
        spec = {"protocol": PROTOCOL, "fusec": __version__, "workflow": workflow, "kind": node.kind,
                "target": node.target, **({"use": node.use} if node.use else {}), **template}
        if settings.step:
            spec["options"] = settings.step
        outputs = {"call": [RESULT], "object": [STATE], "method": [RESULT, STATE]}[node.kind]
        what = f"{node.kind} {self.objects[node.object] + '.' + node.target if node.object else node.target}"
        return self.component(callable_name, what, spec, inputs, outputs, settings)

    def for_items(self, spec: dict, inputs: Inputs, settings: NodeSettings) -> Component:
        """The step handing out a run-time loop's items: returns them (`Output`, as kfp names a
        component's return value, which dsl.ParallelFor iterates) and writes their keys (`keys`)."""
        spec = {"protocol": PROTOCOL, "fusec": __version__, "workflow": self.wf.name, "kind": "items", **spec}
        return self.component("fuseflow-items", f"the items of {spec['where']}", spec, inputs, [], settings,
                              {ITEMS: "LIST", KEYS: "STRING"})

    def for_decision(self, spec: dict, inputs: Inputs, settings: NodeSettings) -> Component:
        """The step deciding an `if`: returns the index of the branch its tests take (`Output`, which
        the branches' trigger policies compare, as dsl.If compares a task's output)."""
        spec = {"protocol": PROTOCOL, "fusec": __version__, "workflow": self.wf.name, "kind": "decide", **spec}
        return self.component("fuseflow-decide", spec["where"], spec, inputs, [], settings,
                              {ITEMS: "NUMBER_INTEGER"})

    def for_pick(self, spec: dict, inputs: Inputs, settings: NodeSettings) -> Component:
        """The step passing on the result of the branch an `if` took (its one input, a dsl.OneOf), for a
        run-time loop to collect or an outer `if`'s dsl.OneOf to take (kfp.conditions)."""
        spec = {"protocol": PROTOCOL, "fusec": __version__, "workflow": self.wf.name, "kind": "pick", **spec}
        return self.component("fuseflow-pick", "the result of the branch taken", spec, inputs, [RESULT], settings)

    def for_finals(self, calls: list[dict], inputs: Inputs, settings: NodeSettings) -> Component:
        """The step running several `finally` calls through the engine (kfp.finals, kfp.exit_step)."""
        spec = {"protocol": PROTOCOL, "fusec": __version__, "workflow": self.wf.name, "kind": "finally",
                "status": STATUS, "calls": calls}
        return self.component("fuseflow-finally", "the calls of `finally`", spec, inputs, [], settings)

    def for_outputs(self, entries: list, inputs: Inputs, settings: NodeSettings) -> Component:
        spec = {"protocol": PROTOCOL, "fusec": __version__, "workflow": self.wf.name, "kind": "outputs",
                "outputs": entries}
        return self.component("fuseflow-outputs", "the workflow's outputs", spec, inputs,
                              [name for name, _, _ in entries], settings)

    def component(self, callable_name: str, what: str, spec: dict, inputs: Inputs, outputs: list[str],
                  settings: NodeSettings, parameters: dict[str, str] | None = None) -> Component:
        """`outputs`: its output artifacts; `parameters`: its output parameters and their types."""
        produced: dict[str, Any] = {}
        if outputs:
            produced["artifacts"] = {name: {"artifactType": ARTIFACT_TYPE} for name in outputs}
        if parameters:
            produced["parameters"] = {name: {"parameterType": kind} for name, kind in parameters.items()}
        definition = {"inputDefinitions": _sorted_inputs(inputs), "outputDefinitions": produced}
        shape = repr((spec, definition, settings.key))  # the same construction gives the same repr
        found = self.by_shape.get(shape)
        if found is not None:
            return found
        base = _K8S.sub("-", callable_name.lower()).strip("-") or "step"
        name = unique(base, self.taken)
        executor = "exec-" + name
        function = python_name(callable_name)
        source = program(what, function, spec, definition, self.modules_for(settings.modules), self.wf.source)
        container = {"args": ["--executor_input", "{{$}}", "--function_to_execute", function],
                     "command": [*install_command(settings.install), "sh", "-ec", PROGRAM, source],
                     **settings.container}
        component = Component("comp-" + name, executor, function, {"executorLabel": executor, **definition},
                              {"container": container}, settings.platform)
        self.by_shape[shape] = component
        return component

    def modules_for(self, names: tuple[str, ...]) -> dict[str, str]:
        files: dict[str, str] = {}
        for name in names:
            files.update(self.modules[name])
        return dict(sorted(files.items()))


def _sorted_inputs(inputs: Inputs) -> dict:
    definitions: dict[str, Any] = {}
    if inputs.artifacts:
        definitions["artifacts"] = dict(sorted(inputs.artifacts.items()))
    if inputs.parameters:
        definitions["parameters"] = dict(sorted(inputs.parameters.items()))
    return definitions


def python_name(callable_name: str) -> str:
    """The embedded function's name: the callable's, as an identifier (`IncrementalSum_add`)."""
    name = re.sub(r"\W", "_", callable_name)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = "fn_" + name
    return name + "_" if name in TEMPLATE_NAMES else name


def install_command(install: dict) -> list[str]:
    """`sh -c` installing the packages (and the fuseflow runtime with kfp, when a
    runtime_package is set) before the program runs; nothing when there are none."""
    packages = [*install.get("packages", ()), *([install["runtime_package"]] if install.get("runtime_package") else [])]
    if not packages:
        return []
    urls = install.get("pip_index_urls", [])
    index = "".join(f"--{'index-url' if i == 0 else 'extra-index-url'} {command_text.shell_word(url)} "
                    for i, url in enumerate(urls))
    pip = "python3 -m pip install --quiet --no-warn-script-location "
    commands = pip + index + " ".join(command_text.shell_word(p) for p in packages)
    if install.get("runtime_package"):
        kfp = [f"kfp=={KFP_SDK_VERSION}", *KFP_INSTALL]
        commands += " && " + pip + index + " ".join(command_text.shell_word(p) for p in kfp)
    return ["sh", "-c", INSTALL.format(commands=commands)]


def program(what: str, function: str, spec: dict, definition: dict, modules: dict[str, str], source: str) -> str:
    """The embedded program: kfp's imports, the spec, and the typed function."""
    return render(
        PACKAGE, "component.py.j2",
        what=command_text.comment(what), version=__version__, source=command_text.comment(source),
        modules=[(command_text.python_literal(path), _source_lines(text)) for path, text in modules.items()],
        spec=py_literal(spec, 0),
        function=function,
        parameters=signature(definition),
        names=parameter_names(definition),
        returns=_PYTHON_TYPES.get(_returned(definition) or "", ""),
    )


def parameter_names(definition: dict) -> list[str]:
    """The embedded function's parameters: every input and output (identifiers) but the return value."""
    inputs = definition["inputDefinitions"]
    outputs = definition["outputDefinitions"]
    written = [name for name in outputs.get("parameters", {}) if name != ITEMS]
    return sorted([*inputs.get("parameters", {}), *inputs.get("artifacts", {}), *outputs.get("artifacts", {}),
                   *written])


def signature(definition: dict) -> list[str]:
    """`name: type` for each input (kfp's executor reads the annotations), outputs last: an
    artifact an `Output[Artifact]`, a parameter an `OutputPath` (but `Output`, the return value)."""
    inputs = definition["inputDefinitions"]
    rows: dict[str, str] = {}
    for name, spec in inputs.get("parameters", {}).items():
        optional = " = None" if spec.get("isOptional") else ""
        rows[name] = f"{name}: {_PYTHON_TYPES[spec['parameterType']]}{optional}"
    for name, spec in inputs.get("artifacts", {}).items():
        rows[name] = f"{name}: Input[List[Artifact]]" if spec.get("isArtifactList") else f"{name}: Input[Artifact]"
    ordered = [rows[n] for n in sorted(rows) if n not in RESERVED] + [rows[n] for n in sorted(rows) if n in RESERVED]
    outputs = definition["outputDefinitions"]
    written = [f"{name}: OutputPath({_PYTHON_TYPES[spec['parameterType']]})"
               for name, spec in sorted(outputs.get("parameters", {}).items()) if name != ITEMS]
    return ordered + [f"{name}: Output[Artifact]" for name in sorted(outputs.get("artifacts", {}))] + written


def _returned(definition: dict) -> str | None:
    """The type of the function's return value, when it has one (the output parameter `Output`)."""
    found = definition["outputDefinitions"].get("parameters", {}).get(ITEMS)
    return found["parameterType"] if found else None


def _source_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    return [command_text.python_literal(line) for line in lines] or ['""']


def py_literal(value: Any, indent: int, width: int = 100) -> str:
    """A Python literal, on one line when it fits, else one item per line; no KFP
    placeholder in its text (it is part of the step's command)."""
    flat = command_text.python_literal(value)
    if not isinstance(value, (list, dict)) or not value or indent + len(flat) <= width:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, list):
        items = [f"{pad}{py_literal(item, indent + 4, width)}," for item in value]
        return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"
    items = [f"{pad}{command_text.python_literal(key)}: {py_literal(item, indent + 4, width)},"
             for key, item in value.items()]
    return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
