"""`finally` on KFP: the YAML is what kfp's own compiler writes for dsl.ExitHandler with an exit task
reading dsl.PipelineTaskFinalStatus; kfp.local runs it (tests/conformance/test_conformance_finally.py).

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import copy

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output, PipelineTaskFinalStatus  # noqa: E402
from kfp_helpers import parse, spec_of  # noqa: E402

CLOSING = """
    from steps import inc, show
    param n: int = 3
    a = inc(n)
    b = show(a)
    finally {
        show(run_status["state"], n)
    }
    return b
    """


def kfp_reference(tmp_path):
    """The same in kfp's DSL: the rest inside dsl.ExitHandler, the exit task reading its final status."""
    image = "python:3.11"

    @dsl.component(base_image=image)
    def a(n: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def b(a: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
          result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def show_1(n: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
               fuseflow_status: PipelineTaskFinalStatus, result: Output[Artifact]):
        pass

    @dsl.pipeline(name="reference")
    def pipeline(n: int = 3, fuseflow_storage: str = "", fuseflow_rerun: str = ""):
        run = {"fuseflow_rerun": fuseflow_rerun, "fuseflow_storage": fuseflow_storage}
        closing = show_1(n=n, fuseflow_node="show_1", **run)
        with dsl.ExitHandler(closing):
            made = a(n=n, fuseflow_node="a", **run)
            b(a=made.outputs["result"], fuseflow_node="b", **run)
        # (kfp's DSL returns no pipeline output from inside an exit handler; the pipeline spec has
        # the handler's DAG outputs for that, which fuseflow's outputs are read through)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    return parse(path.read_text().replace("exit-handler-1", "exit-handler"))[0]


def without_names(task: dict) -> dict:
    return {key: value for key, value in task.items() if key not in ("componentRef", "taskInfo", "cachingOptions")}


def test_finally_is_what_kfp_writes_for_an_exit_handler(tmp_path):
    ours, _ = spec_of(CLOSING)
    theirs = kfp_reference(tmp_path)
    our_tasks, their_tasks = ours["root"]["dag"]["tasks"], theirs["root"]["dag"]["tasks"]
    assert sorted(our_tasks) == sorted(their_tasks) == ["exit-handler", "show-1"]
    # the exit handler: every other task inside it, the pipeline inputs they read passed in
    assert without_names(our_tasks["exit-handler"]) == without_names(their_tasks["exit-handler"])
    ours_inside, theirs_inside = (copy.deepcopy(spec["components"]["comp-exit-handler"]) for spec in (ours, theirs))
    for dag in (ours_inside["dag"], theirs_inside["dag"]):
        dag["tasks"] = {name: without_names(task) for name, task in dag["tasks"].items()}
    assert ours_inside["dag"]["tasks"]["a"] == theirs_inside["dag"]["tasks"]["a"]
    assert ours_inside["dag"]["tasks"]["b"] == theirs_inside["dag"]["tasks"]["b"]
    assert ours_inside["inputDefinitions"] == theirs_inside["inputDefinitions"]
    # the exit task: after the handler whatever its state, its final status an input
    exit_task = without_names(our_tasks["show-1"])
    reads = exit_task["inputs"]["parameters"]
    assert reads.pop("fuseflow_status") == their_tasks["show-1"]["inputs"]["parameters"]["fuseflow_status"]
    assert exit_task["triggerPolicy"] == their_tasks["show-1"]["triggerPolicy"] == {
        "strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
    assert exit_task["dependentTasks"] == their_tasks["show-1"]["dependentTasks"] == ["exit-handler"]
    status = ours["components"][our_tasks["show-1"]["componentRef"]["name"]]["inputDefinitions"]["parameters"]
    assert status["fuseflow_status"] == {"isOptional": True, "parameterType": "TASK_FINAL_STATUS"}
    assert our_tasks["show-1"]["cachingOptions"] == {}  # never taken from KFP's cache: it always runs


SEVERAL = """
    from steps import inc, show, pair
    param n: int = 3
    a = inc(n)
    finally {
        told = pair(run_status["state"], "!")
        show(told)
        show(n, run_status["failed"])
    }
    return a
    """


def test_several_finally_calls_are_one_exit_task_as_kfp_allows_one_per_handler(tmp_path):
    """kfp's DSL takes one exit task per dsl.ExitHandler, and KFP's backend hooks one exit task to
    the task it follows: several calls are one step (kind "finally") running them in order through
    the engine, its task placed and fed as kfp's compiler places an exit task."""
    ours, _ = spec_of(SEVERAL)
    theirs = kfp_reference(tmp_path)
    tasks = ours["root"]["dag"]["tasks"]
    assert sorted(tasks) == ["exit-handler", "finally"]
    closing = tasks["finally"]
    exit_task = theirs["root"]["dag"]["tasks"]["show-1"]
    for field in ("dependentTasks", "triggerPolicy"):
        assert closing[field] == exit_task[field]
    parameters = closing["inputs"]["parameters"]
    assert parameters["fuseflow_status"] == exit_task["inputs"]["parameters"]["fuseflow_status"]
    assert parameters["n"] == {"componentInputParameter": "n"}
    assert parameters["told_arg1"] == {"runtimeValue": {"constant": "!"}}
    assert closing["cachingOptions"] == {}
    component = ours["components"][closing["componentRef"]["name"]]
    assert component["inputDefinitions"]["parameters"]["fuseflow_status"] == {
        "isOptional": True, "parameterType": "TASK_FINAL_STATUS"}
    assert component["outputDefinitions"] == {}  # nothing reads what `finally` returns
    program = "\n".join(ours["deploymentSpec"]["executors"][component["executorLabel"]]["container"]["command"])
    assert '"kind": "finally"' in program and '{"final": "told"}' in program  # a call reading another


def test_the_yaml_of_several_finally_calls_loads_back_with_kfp(tmp_path):
    from kfp import components
    from kfp_helpers import yaml_of

    path = tmp_path / "several.yaml"
    path.write_text(yaml_of(SEVERAL), encoding="utf-8")
    assert components.load_component_from_file(str(path)).name == "wf"


def test_calls_of_finally_with_different_kfp_settings_are_refused_at_the_call():
    from fuseflow.compiler.errors import CompileError

    with pytest.raises(CompileError) as caught:
        spec_of("""
            from steps import show
            options kfp { "show_2": { image: "python:3.12" } }
            a = show(1)
            finally {
                show(run_status["state"])
                show(2)
            }
            return a
            """)
    assert str(caught.value).startswith("wf.fuse:7:5: error: node 'show_2' cannot run on kfp: the calls of "
                                        "`finally` run in one KFP step, with the image, resources, packages and "
                                        "Kubernetes settings of 'show_1': give this call the same options")


def test_the_check_refuses_two_exit_tasks_after_one_task():
    """What KFP's backend cannot run (its exit hooks are one per task) is caught before a cluster."""
    from fuseflow.targets.kfp.check import references

    ours, _ = spec_of(CLOSING)
    tasks = ours["root"]["dag"]["tasks"]
    tasks["show-2"] = copy.deepcopy(tasks["show-1"])
    assert references(ours) == ["exit tasks 'show-1' and 'show-2' both follow 'exit-handler'"]
