"""A name assigned through the `if` of a branch on KFP (a one-of among a one-of's members): the inner `if`'s
dsl.OneOf read by a small pick task inside the outer branch, whose result is that branch's member of the
outer dsl.OneOf, as a KFP user writes it with kfp 2.17 (which refuses the two ways without it); kfp.local
runs it as the local target does (tests/conformance/test_conformance_conditions.py, NESTED_MERGE).

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""


import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output  # noqa: E402
from kfp_components import IMAGE, decide, make, use  # noqa: E402
from kfp_helpers import (  # noqa: E402
    dag_of,
    on_both,
    parse,
    same_root,
    spec_of,
    without_enclosing_decision,
)

from fuseflow.targets.kfp import check as kfp_check  # noqa: E402

NESTED = """
    from steps import inc, add, show
    param n: int = 3
    param up: bool = true
    a = inc(n)
    if a > 3 {
        if up {
            k = add(a, 100)
        } else {
            k = show(a)
        }
    } else {
        k = inc(a, 0)
    }
    last = show(k)
    return last
    """

def test_kfp_refuses_a_one_of_of_a_one_of_and_fails_on_a_one_of_of_nested_branches():
    """Why a pick task: kfp 2.17 compiles neither way without one."""
    def nested(k):
        one = decide()
        with dsl.If(one.output == 0):
            two = decide()
            with dsl.If(two.output == 0):
                first = make()
            with dsl.Else():
                second = make()
        with dsl.Else():
            third = make()
        use(k=k(first.outputs["result"], second.outputs["result"], third.outputs["result"]))

    with pytest.raises(ValueError, match="dsl.OneOf cannot be used inside of another dsl.OneOf"):
        dsl.pipeline(name="oneof-of-oneof")(lambda: nested(lambda a, b, c: dsl.OneOf(dsl.OneOf(a, b), c)))
    with pytest.raises(AttributeError):  # 'PipelineArtifactChannel' object has no attribute 'channels'
        dsl.pipeline(name="flat-oneof")(lambda: nested(dsl.OneOf))


def kfp_reference(tmp_path):
    """NESTED in kfp's DSL: the inner dsl.OneOf read by a pick task in the outer dsl.If, the pick's result
    and the outer dsl.Else's a dsl.OneOf after the outer `if`."""
    @dsl.component(base_image=IMAGE)
    def a(n: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def if_1(a: Input[Artifact], test0_right: int) -> int:
        return 0

    @dsl.component(base_image=IMAGE)
    def if_2(up: bool) -> int:
        return 0

    @dsl.component(base_image=IMAGE)
    def k_if_if(a: Input[Artifact], arg1: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
                result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def k_if_else(a: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
                  result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def k_if(k_if: Input[Artifact], result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def k_else(a: Input[Artifact], arg1: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
               result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def last(k: Input[Artifact], fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
             result: Output[Artifact]):
        pass

    @dsl.pipeline(name="reference")
    def pipeline(n: int = 3, up: bool = True, fuseflow_storage: str = "", fuseflow_rerun: str = ""):
        run = {"fuseflow_rerun": fuseflow_rerun, "fuseflow_storage": fuseflow_storage}
        made = a(n=n, fuseflow_node="a", **run)
        outer = if_1(a=made.outputs["result"], test0_right=3)
        with dsl.If(outer.output == 0):
            inner = if_2(up=up)
            with dsl.If(inner.output == 0):
                one = k_if_if(a=made.outputs["result"], arg1=100, fuseflow_node="k.if.if", **run)
            with dsl.Else():
                two = k_if_else(a=made.outputs["result"], fuseflow_node="k.if.else", **run)
            picked = k_if(k_if=dsl.OneOf(one.outputs["result"], two.outputs["result"]))
        with dsl.Else():
            three = k_else(a=made.outputs["result"], arg1=0, fuseflow_node="k.else", **run)
        last(k=dsl.OneOf(picked.outputs["result"], three.outputs["result"]), fuseflow_node="last", **run)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    text = path.read_text()
    # kfp numbers its groups and branches; fuseflow names them after the `if`s and their branches
    for theirs, ours in (("condition-branches-1", "if-1-branches"), ("condition-branches-2", "if-2-branches"),
                         ("condition-3", "if-2-if"), ("condition-4", "if-2-else"), ("condition-5", "if-1-if"),
                         ("condition-6", "if-1-else")):
        text = text.replace(theirs, ours)
    return parse(text)[0]


def test_a_nested_choice_is_what_kfp_writes_with_a_pick_task_in_the_outer_branch(tmp_path):
    ours, _ = spec_of(NESTED)
    theirs = kfp_reference(tmp_path)
    same_root(ours, theirs, ["a", "if-1", "if-1-branches", "last"])  # `last` reads the outer group's one-of
    inner = ("comp-if-2-branches", "comp-if-2-if", "comp-if-2-else")
    without_enclosing_decision(theirs, "pipelinechannel--if-1-Output", inner)
    # the outer `if` branch: the inner `if`'s decide step and group, and the pick task reading its one-of
    assert sorted(ours["components"]["comp-if-1-if"]["dag"]["tasks"]) == ["if-2", "if-2-branches", "k-if"]
    for component in ("comp-if-1-branches", "comp-if-1-if", "comp-if-1-else", *inner):
        assert dag_of(ours, component) == dag_of(theirs, component), component
    pick = ours["components"]["comp-if-1-if"]["dag"]["tasks"]["k-if"]
    mine = ours["components"][pick["componentRef"]["name"]]
    kfps = theirs["components"][theirs["components"]["comp-if-1-if"]["dag"]["tasks"]["k-if"]["componentRef"]["name"]]
    assert (mine["inputDefinitions"], mine["outputDefinitions"]) == (kfps["inputDefinitions"],
                                                                     kfps["outputDefinitions"])


def test_the_pick_task_is_named_as_the_branch_holds_the_name_and_made_once_for_every_reader():
    ours, _ = spec_of("""
        from steps import inc, show
        param n: int = 3
        a = inc(n)
        if a > 3 {
            if a > 4 {
                k = show(a)
            } else {
                k = show(a, 1)
            }
        } else {
            k = inc(a)
        }
        last = show(k, k[0])                  # whole and indexed: one pick, one one-of
        return last
        """)
    branch = ours["components"]["comp-if-1-if"]["dag"]["tasks"]
    assert branch["k-if"]["taskInfo"] == {"name": "k.if"}
    assert ours["components"][branch["k-if"]["componentRef"]["name"]]["executorLabel"] == "exec-fuseflow-pick"
    group = ours["components"]["comp-if-1-branches"]["dag"]["outputs"]["artifacts"]
    assert list(group) == ["pipelinechannel--if-1-branches-oneof-1"]
    last = ours["root"]["dag"]["tasks"]["last"]["inputs"]["artifacts"]
    assert {name: read["taskOutputArtifact"]["outputArtifactKey"] for name, read in last.items()} == {
        "k": "pipelinechannel--if-1-branches-oneof-1", "k_0": "pipelinechannel--if-1-branches-oneof-1"}


IN_A_LOOP = """
    from steps import inc, show
    param xs: list = [1, 4, 6]
    for x in xs {
        if x > 2 {
            if x > 5 {
                r = show(x)
            } else {
                r = show(x, 1)
            }
        } else {
            r = inc(x)
        }
        t = inc(r)                          # in the loop: the outer group's one-of
    }
    every = show(r, t)                      # after it: what each item's pick task passes on
    return every
    """


def test_a_nested_choice_in_a_loop_s_body_is_picked_in_the_branch_and_collected_after_the_loop():
    ours, _ = spec_of(IN_A_LOOP)
    assert kfp_check.references(ours) == []
    loop = ours["components"]["comp-for-x-in-xs"]["dag"]["tasks"]
    assert sorted(loop) == ["if-1", "if-1-branches", "r", "t"]  # `r`: the loop's pick task, for `every`
    branch = ours["components"]["comp-if-1-if"]["dag"]["tasks"]
    assert sorted(branch) == ["if-2", "if-2-branches", "r-if"]  # `r-if`: the pick of the inner one-of
    assert branch["r-if"]["taskInfo"] == {"name": "r.if (*)"}
    read = "pipelinechannel--if-1-branches-oneof-1"
    for task in ("r", "t"):
        assert loop[task]["inputs"]["artifacts"]["r"]["taskOutputArtifact"]["outputArtifactKey"] == read
    every = ours["root"]["dag"]["tasks"]["every"]
    assert every["inputs"]["artifacts"]["r"]["taskOutputArtifact"]["outputArtifactKey"] == "pipelinechannel--r-result"
    spec = ours["components"][every["componentRef"]["name"]]
    executor = ours["deploymentSpec"]["executors"][spec["executorLabel"]]
    assert '"nodes": ["r.if.if.*", "r.if.else.*", "r.else.*"]' in executor["container"]["command"][-1]


# --- run with kfp.local, against the local target ------------------------------------------------

EVERY_PLACE = """
    workflow nested
    from steps import inc, add, show
    param n: int = 3
    param up: bool = true
    param xs: list = [1, 4, 6]
    a = inc(n)
    if a > 3 {
        if up {
            k = show(a, 100)
        } else {
            if a > 10 {                     # three levels
                k = show(a)
            } else {
                k = show(a, 1)
            }
        }
    } elif a > 1 {
        k = show(a, 2)
    } else {
        k = show(0)
    }
    first = show(k[0], k)
    for x in xs {                           # in a run-time loop's body
        if x > 2 {
            if x > 5 {
                r = add(x, 100)
            } else {
                r = add(x, 10)
            }
        } else {
            r = inc(x)
        }
        t = inc(r)
    }
    for d in [1, 2] {                       # per iteration of a static loop
        if d == 1 {
            if up {
                m = add(d, 1)
            } else {
                m = add(d, 2)
            }
        } else {
            m = add(d, 3)
        }
    }
    every = show(r, t, m)
    return first, every
    """


@pytest.mark.slow
def test_nested_choices_run_on_kfp_local_as_on_the_local_target(project):
    """Outputs, calls, what the run did and every result under the same key, whichever branches are taken."""
    path = project(EVERY_PLACE)
    outputs = []
    for params in ({}, {"up": "false"}, {"n": "1"}):
        runs = on_both(project, path, "nested", params)
        assert runs["kfp"] == runs["local"], params
        outputs.append(runs["kfp"][0]["first"])
    chosen = [[[4, 100], {}], [[4, 1], {}], [[2, 2], {}]]  # k: k.if.if, k.if.else.else, k.elif1
    assert outputs == [[[k[0], k], {}] for k in chosen]
