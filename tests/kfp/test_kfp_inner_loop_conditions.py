"""An `if` inside a static loop inside a run-time loop on KFP: the static loop unrolled in the
dsl.ParallelFor's sub-DAG, as a Python `for` in a pipeline function unrolls it, with one decide step,
one dsl.If / dsl.Else group and one reader of its dsl.OneOf per iteration, each decided per item
(`if-1.*.1`, `if-1.*.2`); what kfp's own compiler writes for that DSL, and kfp.local runs it as the
local target does (tests/conformance/test_conformance_conditions.py, IN_A_STATIC_LOOP).

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output, OutputPath  # noqa: E402
from kfp_components import IMAGE  # noqa: E402
from kfp_helpers import dag_of, on_both, parse, same_root, spec_of  # noqa: E402

PER_ITEM_AND_STEP = """
    from steps import inc, show, upto
    param n: int = 3
    numbers = upto(n)
    for x in numbers {
        d = inc(x)
        for k in [1, 2] {
            if d > k {
                r = show(d, k)
            } else {
                r = show(x)
            }
            last = show(r)
        }
    }
    every = show(last)
    return every
    """

STEPS = (1, 2)  # the static loop's iterations


def component(name: str, fn):
    """`fn` as a kfp component named `name`: kfp names a task after its component, and each iteration's
    tasks are named after it (`last-1`, `last-2`) as fuseflow names them."""
    fn.__name__ = fn.__qualname__ = name
    return dsl.component(base_image=IMAGE)(fn)


def kfp_reference(tmp_path):
    """The same workflow in kfp's DSL: in the ParallelFor, a Python `for` over the static loop's
    iterations writes, per iteration, a step returning the branch's index, dsl.If / dsl.Else on it and a
    task reading their dsl.OneOf; after the loop dsl.Collected gathers each iteration's readers."""
    @dsl.component(base_image=IMAGE)
    def numbers(n: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def for_x_in_numbers_items(numbers: Input[Artifact], keys: OutputPath(str)) -> list:
        return []

    @dsl.component(base_image=IMAGE)
    def d(x: str, fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
          result: Output[Artifact]):
        pass

    def decide(d: Input[Artifact], test0_right: int, fuseflow_key: str) -> int:
        return 0

    def r_if(d: Input[Artifact], arg1: int, fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str,
             fuseflow_storage: str, result: Output[Artifact]):
        pass

    def r_else(x: str, fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
               result: Output[Artifact]):
        pass

    def last(r: Input[Artifact], fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str,
             fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=IMAGE)
    def every(last_1: Input[list[Artifact]], last_2: Input[list[Artifact]], last_keys: str, fuseflow_node: str,
              fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    per_step = {k: (component(f"if_1_{k}", decide), component(f"r_if_{k}", r_if),
                    component(f"r_else_{k}", r_else), component(f"last_{k}", last)) for k in STEPS}

    @dsl.pipeline(name="reference")
    def pipeline(n: int = 3, fuseflow_storage: str = "", fuseflow_rerun: str = ""):
        run = {"fuseflow_rerun": fuseflow_rerun, "fuseflow_storage": fuseflow_storage}
        made = numbers(n=n, fuseflow_node="numbers", **run)
        items = for_x_in_numbers_items(numbers=made.outputs["result"])
        read = {}
        with dsl.ParallelFor(items.outputs["Output"]) as item:
            key = {"fuseflow_key": item.fuseflow_key}
            grown = d(x=item.x, fuseflow_node="d.*", **key, **run)
            for k in STEPS:
                decide_k, r_if_k, r_else_k, last_k = per_step[k]
                decided = decide_k(d=grown.outputs["result"], test0_right=k, **key)
                with dsl.If(decided.output == 0):
                    one = r_if_k(d=grown.outputs["result"], arg1=k, fuseflow_node=f"r.if.*.{k}", **key, **run)
                with dsl.Else():
                    two = r_else_k(x=item.x, fuseflow_node=f"r.else.*.{k}", **key, **run)
                chosen = dsl.OneOf(one.outputs["result"], two.outputs["result"])
                read[k] = last_k(r=chosen, fuseflow_node=f"last.*.{k}", **key, **run)
        every(last_1=dsl.Collected(read[1].outputs["result"]), last_2=dsl.Collected(read[2].outputs["result"]),
              last_keys=items.outputs["keys"], fuseflow_node="every", **run)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    text = path.read_text()
    # kfp numbers its loops, groups and branches; fuseflow names them after the loop, the `if`, its
    # iteration of the static loop, and its branches
    for theirs, ours in (("condition-branches-2", "if-1-1-branches"), ("condition-branches-5", "if-1-2-branches"),
                         ("condition-3", "if-1-1-if"), ("condition-4", "if-1-1-else"),
                         ("condition-6", "if-1-2-if"), ("condition-7", "if-1-2-else"),
                         ("for-loop-1", "for-x-in-numbers")):
        text = text.replace(theirs, ours)
    return parse(text)[0]


def test_an_if_in_a_static_loop_in_a_loop_is_what_kfp_writes_for_a_python_for_in_parallel_for(tmp_path):
    ours, _ = spec_of(PER_ITEM_AND_STEP)
    theirs = kfp_reference(tmp_path)
    same_root(ours, theirs, ["every", "for-x-in-numbers", "for-x-in-numbers-items", "numbers"])
    # the iteration: its node, then per iteration of the static loop a decide step, its group, the one-of's reader
    loop = dag_of(ours, "comp-for-x-in-numbers")
    assert sorted(loop["dag"]["tasks"]) == ["d", "if-1-1", "if-1-1-branches", "if-1-2", "if-1-2-branches",
                                            "last-1", "last-2"]
    assert loop == dag_of(theirs, "comp-for-x-in-numbers")
    for k in STEPS:  # each group: a task per branch on its own decide step's output; each branch its node
        for component_name in (f"comp-if-1-{k}-branches", f"comp-if-1-{k}-if", f"comp-if-1-{k}-else"):
            assert dag_of(ours, component_name) == dag_of(theirs, component_name), component_name


def test_each_iteration_s_decide_step_names_its_decision_with_the_static_key():
    ours, _ = spec_of(PER_ITEM_AND_STEP)
    tasks = ours["components"]["comp-for-x-in-numbers"]["dag"]["tasks"]
    for k in STEPS:
        assert tasks[f"if-1-{k}"]["taskInfo"] == {"name": f"the `if` on line 8 (iteration *.{k})"}
        assert tasks[f"if-1-{k}-branches"]["taskInfo"] == {"name": f"if-1.*.{k}"}
        assert tasks[f"if-1-{k}"]["inputs"]["parameters"]["test0_right"] == {"runtimeValue": {"constant": k}}


@pytest.mark.slow
def test_an_if_in_a_static_loop_in_a_loop_runs_on_kfp_local_as_on_the_local_target(project):
    path = project("""
        workflow inner
        from steps import inc, add, show
        param xs: list = [0, 1, 3]
        for x in xs {
            d = inc(x)
            for k in [1, 2] {
                if d > k and k != 2 {
                    r = add(d, k)
                } else {
                    r = inc(d, 10)
                }
                last = inc(r)             # the branch taken's r, in its iteration
            }
            t = show(last)                # the static loop's family, per item
        }
        every = show(t, last)
        return every
        """)
    runs = on_both(project, path, "inner", {})
    assert runs["kfp"] == runs["local"]  # outputs, calls, what the run did, every result under the same key
    outputs, _, summary, _ = runs["kfp"]
    lasts = [{"1": 12, "2": 12}, {"1": 4, "2": 13}, {"1": 6, "2": 15}]
    t = [[[last], {}] for last in lasts]  # show(last) per item
    assert outputs["every"] == [[t, lasts], {}]
    assert summary["decisions"] == {"if-1.0.1": "else", "if-1.0.2": "else", "if-1.1.1": "if", "if-1.1.2": "else",
                                    "if-1.2.1": "if", "if-1.2.2": "else"}
    assert "r.else.1.1" in summary["skipped"] and "r.if.0.1" in summary["skipped"]
    changed = on_both(project, path, "inner", {"xs": "[0, 1, 3, 4]"})  # the new item only, the rest loaded
    assert changed["kfp"][1] == changed["local"][1] == ["add 5 1", "inc 15", "inc 4", "inc 5", "inc 6", "show",
                                                        "show"]
