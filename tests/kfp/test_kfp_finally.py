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
