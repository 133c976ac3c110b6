"""Run-time loops and `if` branches on KFP: a loop's results read inside a branch come into the
branch's sub-DAGs as a list input; kfp.local runs it as the local target does.

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output, OutputPath  # noqa: E402
from kfp_components import IMAGE, decide, each, gather, items  # noqa: E402
from kfp_helpers import (  # noqa: E402
    dag_of,
    on_both,
    parse,
    same_root,
    spec_of,
    without_enclosing_decision,
)

from fuseflow.targets.kfp import check as kfp_check  # noqa: E402

READ_IN_A_BRANCH = """
    workflow readin
    from steps import add, show
    param xs: list = [1, 2, 3]
    param wide: bool = true
    base = add(1, 2)
    for x in xs {
        grown = add(x, base)
    }
    if wide {
        total = show(grown)
    } else {
        total = show(base)
    }
    return total
    """

def test_kfp_fails_to_compile_a_loop_s_results_read_inside_an_if():
    """Why no comparison with kfp's DSL for such a read: kfp 2.17's compiler fails on dsl.Collected read in
    a dsl.If outside the loop (it takes the collected list for a parameter without a type)."""
    def pipeline():
        listed = items()
        with dsl.ParallelFor(listed.outputs["Output"]) as item:
            made = each(x=item.x)
        with dsl.If(decide().output == 0):
            gather(r=dsl.Collected(made.outputs["result"]), r_keys=listed.outputs["keys"])

    with pytest.raises(TypeError):  # in kfp's build_component_spec_for_group
        dsl.pipeline(name="collected-in-if")(pipeline)


def test_a_loop_s_results_read_in_a_branch_come_into_it_as_a_list_and_the_keys():
    ours, _ = spec_of(READ_IN_A_BRANCH)
    assert kfp_check.references(ours) == []
    group = ours["root"]["dag"]["tasks"]["if-1-branches"]
    collected = "pipelinechannel--for-x-in-xs-pipelinechannel--grown-result"
    keys = "pipelinechannel--for-x-in-xs-items-keys"
    assert group["inputs"]["artifacts"][collected] == {
        "taskOutputArtifact": {"outputArtifactKey": "pipelinechannel--grown-result", "producerTask": "for-x-in-xs"}}
    assert group["inputs"]["parameters"][keys] == {
        "taskOutputParameter": {"outputParameterKey": "keys", "producerTask": "for-x-in-xs-items"}}
    assert {"for-x-in-xs", "for-x-in-xs-items"} <= set(group["dependentTasks"])
    branch = ours["components"]["comp-if-1-if"]
    listed = {"artifactType": {"schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"}, "isArtifactList": True}
    assert branch["inputDefinitions"]["artifacts"][collected] == listed
    assert branch["inputDefinitions"]["parameters"][keys] == {"parameterType": "STRING"}
    total = branch["dag"]["tasks"]["total-if"]
    assert total["inputs"]["artifacts"]["grown"] == {"componentInputArtifact": collected}
    assert total["inputs"]["parameters"]["grown_keys"] == {"componentInputParameter": keys}
    assert "dependentTasks" not in total  # what it reads comes in through the branch's inputs


@pytest.mark.slow
def test_a_loop_s_results_read_in_a_branch_run_on_kfp_local_as_on_the_local_target(project):
    path = project(READ_IN_A_BRANCH)
    expected = ({"total": [[[4, 5, 6]], {}]}, {"total": [[3], {}]})
    for params, taken in zip(({}, {"wide": "false"}), expected, strict=True):
        runs = on_both(project, path, "readin", params)
        assert runs["kfp"] == runs["local"]
        assert runs["kfp"][0] == taken


# --- a run-time loop inside an `if` branch ----------------------------------------------------------

IN_A_BRANCH = """
    from steps import inc, add, show
    param xs: list = [1, 2, 3]
    param n: int = 3
    a = inc(n)
    if a > 2 {
        b = inc(a)
        for x in xs {                 # only when the branch is taken
            d = add(x, b)
            e = show(d, n)
        }
        r = show(e)
    } else {
        r = inc(a)
    }
    last = show(r)
    return last
    """


def kfp_reference(tmp_path):
    """The same pipeline in kfp's DSL: the dsl.ParallelFor and its items step inside the dsl.If, dsl.Collected
    read in the branch, dsl.OneOf of the branches' results after it."""
    @dsl.component(base_image=IMAGE)
    def a(n: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def if_1(a: Input[Artifact], test0_right: int) -> int:
        return 0

    @dsl.component(base_image=IMAGE)
    def b(a: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
          result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def for_x_in_xs_items(xs: list, keys: OutputPath(str)) -> list:
        return []

    @dsl.component(base_image=IMAGE)
    def d(b: Input[Artifact], x: str, fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str,
          fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def e(d: Input[Artifact], n: int, fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str,
          fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def r_if(e: Input[list[Artifact]], e_keys: str, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
             result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def r_else(a: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
               result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def last(r: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
             result: Output[Artifact]):
        pass

    @dsl.pipeline(name="reference")
    def pipeline(xs: list, n: int = 3, fuseflow_storage: str = "", fuseflow_rerun: str = ""):
        run = {"fuseflow_rerun": fuseflow_rerun, "fuseflow_storage": fuseflow_storage}
        made = a(n=n, fuseflow_node="a", **run)
        decided = if_1(a=made.outputs["result"], test0_right=2)
        with dsl.If(decided.output == 0):
            got = b(a=made.outputs["result"], fuseflow_node="b", **run)
            items = for_x_in_xs_items(xs=xs)
            with dsl.ParallelFor(items.outputs["Output"]) as item:
                key = {"fuseflow_key": item.fuseflow_key}
                added = d(b=got.outputs["result"], x=item.x, fuseflow_node="d.*", **key, **run)
                shown = e(d=added.outputs["result"], n=n, fuseflow_node="e.*", **key, **run)
            one = r_if(e=dsl.Collected(shown.outputs["result"]), e_keys=items.outputs["keys"], fuseflow_node="r.if",
                       **run)
        with dsl.Else():
            two = r_else(a=made.outputs["result"], fuseflow_node="r.else", **run)
        last(r=dsl.OneOf(one.outputs["result"], two.outputs["result"]), fuseflow_node="last", **run)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    text = path.read_text()
    # kfp numbers its groups, branches and loops; fuseflow names them after the `if`, its branches, the loop
    for theirs, ours in (("condition-branches-1", "if-1-branches"), ("for-loop-2", "for-x-in-xs"),
                         ("condition-3", "if-1-if"), ("condition-4", "if-1-else")):
        text = text.replace(theirs, ours)
    return parse(text)[0]


def test_a_loop_in_a_branch_is_what_kfp_writes_for_parallel_for_inside_if(tmp_path):
    ours, _ = spec_of(IN_A_BRANCH)
    theirs = kfp_reference(tmp_path)
    same_root(ours, theirs, ["a", "if-1", "if-1-branches", "last"])  # nothing of the loop at the root
    without_enclosing_decision(theirs, "pipelinechannel--if-1-Output", ("comp-for-x-in-xs",))  # unread there
    # the branch taken holds b, the items task, the loop task and the task reading dsl.Collected
    branch = dag_of(ours, "comp-if-1-if")
    assert sorted(branch["dag"]["tasks"]) == ["b", "for-x-in-xs", "for-x-in-xs-items", "r-if"]
    for component in ("comp-if-1-branches", "comp-if-1-if", "comp-if-1-else", "comp-for-x-in-xs"):
        assert dag_of(ours, component) == dag_of(theirs, component), component


def test_a_loop_in_a_branch_reads_params_and_results_from_outside_it_through_the_branch():
    ours, _ = spec_of(IN_A_BRANCH)
    branch = ours["components"]["comp-if-1-if"]["dag"]["tasks"]
    items = branch["for-x-in-xs-items"]
    assert items["inputs"]["parameters"]["xs"] == {"componentInputParameter": "pipelinechannel--xs"}
    assert "dependentTasks" not in items  # the param comes in with the branch
    assert branch["for-x-in-xs"]["dependentTasks"] == ["b", "for-x-in-xs-items"]
    group = ours["root"]["dag"]["tasks"]["if-1-branches"]
    assert group["inputs"]["parameters"]["pipelinechannel--xs"] == {"componentInputParameter": "xs"}


AROUND = """
    workflow inbranch
    from steps import inc, add, show
    param xs: list = [1, 2, 3]
    param n: int = 3
    a = inc(n)
    if a > 2 {
        for x in xs {                     # in a branch, with an `if` per item
            d = add(x, a)
            if d > 5 {
                k = inc(d)
            } else {
                k = add(d, 100)
            }
        }
        r = show(k)
    } else {
        r = inc(a)
    }
    for ds in ["u", "v"] {
        if a > 3 {
            if ds == "u" {                # in the branch of a branch, per static iteration
                for y in xs {
                    w = add(y, n)
                }
                z = show(w, r)
            } else {
                z = show(ds)
            }
            t = show(z)
        } else {
            t = show(a)
        }
    }
    return r, t
    """


@pytest.mark.slow
def test_loops_in_branches_run_on_kfp_local_as_on_the_local_target(project):
    """Outputs, calls, what the run did (the loops of a branch not taken skipped for every item, `w.u.*`)
    and every result under the same key, whichever branches are taken."""
    path = project(AROUND)
    summaries = []
    for params in ({}, {"n": "1"}, {"n": "2"}):
        runs = on_both(project, path, "inbranch", params)
        assert runs["kfp"] == runs["local"], params
        summaries.append(runs["kfp"][2])
    taken, other, half = summaries
    assert taken["decisions"]["if-2.0"] == "else" and "w.v.*" in taken["skipped"]
    assert {"d.*", "k.if.*", "k.else.*", "w.u.*", "w.v.*"} <= set(other["skipped"])
    assert "d.*" not in half["skipped"] and "w.u.*" in half["skipped"]


def test_a_loop_in_a_branch_read_in_an_if_of_that_branch_comes_into_the_inner_branches():
    ours, _ = spec_of("""
        from steps import add, show
        param xs: list = [1, 2]
        base = add(1, 2)
        if base > 0 {
            for x in xs {
                grown = add(x, base)
            }
            if base > 1 {
                total = show(grown)
            } else {
                total = show(grown, 1)
            }
            again = show(total)
        } else {
            again = show(base)
        }
        return again
        """)
    assert kfp_check.references(ours) == []
    outer = ours["components"]["comp-if-1-if"]["dag"]["tasks"]
    assert sorted(outer) == ["again-if", "for-x-in-xs", "for-x-in-xs-items", "if-2", "if-2-branches"]
    collected = "pipelinechannel--for-x-in-xs-pipelinechannel--grown-result"
    assert outer["if-2-branches"]["inputs"]["artifacts"][collected] == {
        "taskOutputArtifact": {"outputArtifactKey": "pipelinechannel--grown-result", "producerTask": "for-x-in-xs"}}
    inner = ours["components"]["comp-if-2-if"]["dag"]["tasks"]["total-if"]
    assert inner["inputs"]["artifacts"]["grown"] == {"componentInputArtifact": collected}
