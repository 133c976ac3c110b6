"""Run a compiled pipeline YAML in this process, the way kfp's executor would: fast checks.

For each task in dependency order: load the executor's embedded program,
call its function with the task's parameters (constants and pipeline inputs)
and artifacts (objects with a `.path`), as kfp.dsl.executor does, and record
where its outputs went. Milliseconds per step instead of kfp.local's second,
so the cache-key and storage tests can run every example; the examples also
run under real kfp.local in test_local_run.py.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

import yaml

from fuseflow.targets.kfp.step import read_value


class Artifact:
    def __init__(self, path: str):
        self.path = path
        self.uri = path
        self.metadata: dict = {}


def documents(text: str) -> tuple[dict, dict]:
    docs = list(yaml.safe_load_all(text))
    return docs[0], (docs[1] if len(docs) > 1 else {})


def order(tasks: dict) -> list[str]:
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dep in tasks[name].get("dependentTasks", []):
            visit(dep)
        done.append(name)

    for name in sorted(tasks):
        visit(name)
    return done


class Run:
    """What an in-process run left: outputs by their YAML names, the steps' log,
    and where each task's outputs are ({(task, output): path})."""

    def __init__(self, outputs: dict[str, Any], log: str, produced: dict[tuple[str, str], str]):
        self.outputs, self.log, self.produced = outputs, log, produced

    def states(self) -> dict[str, str]:
        return step_lines(self.log)


def run(text: str, workdir: Path, arguments: dict[str, Any] | None = None) -> Run:
    spec, _ = documents(text)
    root = spec["root"]
    inputs = {name: d.get("defaultValue") for name, d in root["inputDefinitions"]["parameters"].items()}
    inputs.update(arguments or {})
    tasks = root["dag"]["tasks"]
    produced: dict[tuple[str, str], str] = {}
    programs: dict[str, dict] = {}
    log = io.StringIO()
    for name in order(tasks):
        task = tasks[name]
        component = spec["components"][task["componentRef"]["name"]]
        container = spec["deploymentSpec"]["executors"][component["executorLabel"]]["container"]
        function = container["args"][container["args"].index("--function_to_execute") + 1]
        program = programs.get(component["executorLabel"])
        if program is None:
            program = programs[component["executorLabel"]] = {}
            exec(compile(container["command"][-1], f"<{component['executorLabel']}>", "exec"), program)
        kwargs: dict[str, Any] = {}
        for key, binding in task.get("inputs", {}).get("parameters", {}).items():
            if "runtimeValue" in binding:
                value = binding["runtimeValue"]["constant"]
            else:
                value = inputs[binding["componentInputParameter"]]
            if value is not None:
                kwargs[key] = value
        for key, binding in task.get("inputs", {}).get("artifacts", {}).items():
            source = binding["taskOutputArtifact"]
            kwargs[key] = Artifact(produced[source["producerTask"], source["outputArtifactKey"]])
        for key in component["outputDefinitions"]["artifacts"]:
            path = workdir / name / key
            os.makedirs(path.parent, exist_ok=True)
            kwargs[key] = Artifact(str(path))
            produced[name, key] = str(path)
        with contextlib.redirect_stdout(log):
            program[function](**kwargs)
    outputs = {}
    for name, output in root["dag"].get("outputs", {}).get("artifacts", {}).items():
        selector = output["artifactSelectors"][0]
        outputs[name] = read_value(produced[selector["producerSubtask"], selector["outputArtifactKey"]])
    return Run(outputs, log.getvalue(), produced)


def step_lines(log: str) -> dict[str, str]:
    """node -> "ran" or "loaded from storage", from the steps' log lines."""
    states = {}
    for line in log.splitlines():
        if line.startswith("fuseflow: node '"):
            node, _, rest = line[len("fuseflow: node '"):].partition("' ")
            states[node] = rest.rsplit(" in ", 1)[0]
    return states
