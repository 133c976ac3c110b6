"""`if` on KFP: the YAML is what kfp's own compiler writes for dsl.If / dsl.Elif / dsl.Else on the
output of a step, with dsl.OneOf for the name every branch assigns; kfp.local runs it
(tests/conformance/test_conformance_conditions.py).

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output  # noqa: E402
from kfp_helpers import dag_of, parse, spec_of, without_names  # noqa: E402

DECIDING = """
    from steps import inc, show
    param n: int = 3
    a = inc(n)
    if a >= 5 {
        pushed = show(a, n)
    } elif a == 4 {
        pushed = inc(a)
    } else {
        pushed = show(a)
    }
    last = show(pushed)
    return last
    """


def kfp_reference(tmp_path):
    """The same `if` in kfp's DSL: a step returns the branch's index, dsl.If / dsl.Elif / dsl.Else
    on it, dsl.OneOf of the branches' results read after them."""
    image = "python:3.11"

    @dsl.component(base_image=image)
    def a(arg0: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def if_1(a: Input[Artifact], test0_right: int, test1_right: int) -> int:
        return 0

    @dsl.component(base_image=image)
    def pushed_if(a: Input[Artifact], n: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
                  result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def pushed_elif1(a: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
                     result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def pushed_else(a: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
                    result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def last(pushed: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
             result: Output[Artifact]):
        pass

    @dsl.pipeline(name="reference")
    def pipeline(n: int = 3, fuseflow_storage: str = "", fuseflow_rerun: str = ""):
        run = {"fuseflow_rerun": fuseflow_rerun, "fuseflow_storage": fuseflow_storage}
        made = a(arg0=n, fuseflow_node="a", **run)
        decided = if_1(a=made.outputs["result"], test0_right=5, test1_right=4)
        with dsl.If(decided.output == 0):
            one = pushed_if(a=made.outputs["result"], n=n, fuseflow_node="pushed.if", **run)
        with dsl.Elif(decided.output == 1):
            two = pushed_elif1(a=made.outputs["result"], fuseflow_node="pushed.elif1", **run)
        with dsl.Else():
            three = pushed_else(a=made.outputs["result"], fuseflow_node="pushed.else", **run)
        chosen = dsl.OneOf(one.outputs["result"], two.outputs["result"], three.outputs["result"])
        last(pushed=chosen, fuseflow_node="last", **run)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    text = path.read_text()
    # kfp numbers its groups and branches; fuseflow names them after the `if` and its branches
    for theirs, ours in (("condition-branches-1", "if-1-branches"), ("condition-2", "if-1-if"),
                         ("condition-3", "if-1-elif1"), ("condition-4", "if-1-else")):
        text = text.replace(theirs, ours)
    return parse(text)[0]


def test_the_if_is_what_kfp_writes_for_if_elif_else_and_one_of(tmp_path):
    ours, _ = spec_of(DECIDING)
    theirs = kfp_reference(tmp_path)
    our_tasks, their_tasks = ours["root"]["dag"]["tasks"], theirs["root"]["dag"]["tasks"]
    assert sorted(our_tasks) == sorted(their_tasks) == ["a", "if-1", "if-1-branches", "last"]
    for task in ("if-1", "if-1-branches", "last"):  # the decide step, the group, the reader of the one-of
        assert without_names(our_tasks[task]) == without_names(their_tasks[task])
    # the group: a task per branch, triggered by the decide step's output as dsl.If/Elif/Else, the one-of
    assert dag_of(ours, "comp-if-1-branches") == dag_of(theirs, "comp-if-1-branches")
    for branch in ("if", "elif1", "else"):  # each branch: its node's task, its result as the branch's output
        assert dag_of(ours, f"comp-if-1-{branch}") == dag_of(theirs, f"comp-if-1-{branch}")
    decide = ours["components"][our_tasks["if-1"]["componentRef"]["name"]]
    assert decide["outputDefinitions"] == {"parameters": {"Output": {"parameterType": "NUMBER_INTEGER"}}}


def test_the_decide_step_names_its_decision_and_the_run_reads_what_the_steps_did(tmp_path, monkeypatch):
    """`fusec run --target kfp --summary`: each step writes what it did to $FUSEFLOW_KFP_SUMMARY (the
    decide step names its decision, from its spec), the run turns it into the summary every target gives
    (runtime.summary; run with kfp.local: tests/conformance/test_conformance_summary.py)."""
    from kfp_helpers import compile_text, yaml_of

    from fuseflow.runtime.summary import Summary
    from fuseflow.targets.kfp.arguments import SUMMARY_DIR, report_done
    from fuseflow.targets.kfp.local import summarize

    assert '"decision": "if-1"' in yaml_of(DECIDING)  # in the decide step's spec
    monkeypatch.delenv(SUMMARY_DIR, raising=False)
    report_done({"node": "a", "computed": True})  # not under `fusec run --summary`: nothing written
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv(SUMMARY_DIR, str(tmp_path / "done"))
    for record in ({"node": "a", "computed": False}, {"decision": "if-1", "branch": 2},
                   {"node": "pushed.else", "computed": True}, {"node": "last", "computed": True}):
        report_done(record)
    summary = Summary()
    summarize(tmp_path / "done", compile_text(DECIDING), summary)
    assert summary.as_json() == {"nodes": {"computed": 2, "loaded": 1, "skipped": 2},
                                 "skipped": ["pushed.if", "pushed.elif1"], "decisions": {"if-1": "else"}}
