"""An `if` inside a run-time loop on KFP: the YAML is what kfp's own compiler writes for dsl.If / dsl.Else
inside a dsl.ParallelFor, on what a step of the iteration decides, with dsl.OneOf read in the loop and a
small step passing the one-of on for dsl.Collected after it (kfp 2.17 takes no dsl.OneOf in
dsl.Collected); kfp.local runs it (tests/conformance/test_conformance_conditions.py, IN_A_LOOP).

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output, OutputPath  # noqa: E402
from kfp_helpers import dag_of, on_both, parse, run, spec_of, without_names  # noqa: E402

from fuseflow.targets.kfp import check as kfp_check  # noqa: E402

PER_ITEM = """
    from steps import inc, show, upto
    param n: int = 3
    numbers = upto(n)
    for x in numbers {
        d = inc(x)
        if d > 2 {
            r = show(d)
        } else {
            r = show(x, n)
        }
        last = show(r)
    }
    every = show(r, last)
    return every
    """


def kfp_reference(tmp_path):
    """The same loop in kfp's DSL: in each iteration a step returns the branch's index, dsl.If / dsl.Else
    on it, dsl.OneOf of the branches' results read by a task of the iteration and passed on by a pick
    task, whose results dsl.Collected gathers after the loop."""
    image = "python:3.11"

    @dsl.component(base_image=image)
    def numbers(n: int, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def for_x_in_numbers_items(numbers: Input[Artifact], keys: OutputPath(str)) -> list:
        return []

    @dsl.component(base_image=image)
    def d(x: str, fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
          result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def if_1(d: Input[Artifact], test0_right: int, fuseflow_key: str) -> int:
        return 0

    @dsl.component(base_image=image)
    def r_if(d: Input[Artifact], fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
             result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def r_else(x: str, n: int, fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
               result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def last(r: Input[Artifact], fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str,
             result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def r(r: Input[Artifact], result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def every(r: Input[list[Artifact]], r_keys: str, last: Input[list[Artifact]], last_keys: str,
              fuseflow_node: str, fuseflow_rerun: str, fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.pipeline(name="reference")
    def pipeline(n: int = 3, fuseflow_storage: str = "", fuseflow_rerun: str = ""):
        run = {"fuseflow_rerun": fuseflow_rerun, "fuseflow_storage": fuseflow_storage}
        made = numbers(n=n, fuseflow_node="numbers", **run)
        items = for_x_in_numbers_items(numbers=made.outputs["result"])
        with dsl.ParallelFor(items.outputs["Output"]) as item:
            key = {"fuseflow_key": item.fuseflow_key}
            doubled = d(x=item.x, fuseflow_node="d.*", **key, **run)
            decided = if_1(d=doubled.outputs["result"], test0_right=2, **key)
            with dsl.If(decided.output == 0):
                one = r_if(d=doubled.outputs["result"], fuseflow_node="r.if.*", **key, **run)
            with dsl.Else():
                two = r_else(x=item.x, n=n, fuseflow_node="r.else.*", **key, **run)
            chosen = dsl.OneOf(one.outputs["result"], two.outputs["result"])
            read = last(r=chosen, fuseflow_node="last.*", **key, **run)
            picked = r(r=chosen)
        every(r=dsl.Collected(picked.outputs["result"]), r_keys=items.outputs["keys"],
              last=dsl.Collected(read.outputs["result"]), last_keys=items.outputs["keys"], fuseflow_node="every",
              **run)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    text = path.read_text()
    # kfp numbers its loops, groups and branches; fuseflow names them after the loop, the `if` and its branches
    for theirs, ours in (("for-loop-1", "for-x-in-numbers"), ("condition-branches-2", "if-1-branches"),
                         ("condition-3", "if-1-if"), ("condition-4", "if-1-else")):
        text = text.replace(theirs, ours)
    return parse(text)[0]


def test_kfp_refuses_a_one_of_in_collected_and_a_collected_task_of_a_branch_in_a_loop():
    """Why a pick task: kfp 2.17 does not compile the two ways without one."""
    from kfp_components import decide, gather, make

    def loop(collect):
        with dsl.ParallelFor([1, 2]):
            decided = decide()
            with dsl.If(decided.output == 0):
                one = make()
            with dsl.Else():
                two = make()
        gather(r=collect(one, two))

    with pytest.raises(ValueError, match="dsl.OneOf cannot be used inside of dsl.Collected"):
        dsl.pipeline(name="oneof")(lambda: loop(lambda one, two: dsl.Collected(
            dsl.OneOf(one.outputs["result"], two.outputs["result"]))))
    with pytest.raises(AttributeError):  # in kfp's build_oneof_dag_outputs
        dsl.pipeline(name="branch")(lambda: loop(lambda one, two: dsl.Collected(one.outputs["result"])))


def test_an_if_in_a_loop_is_what_kfp_writes_for_if_else_in_parallel_for_with_a_pick_task(tmp_path):
    ours, _ = spec_of(PER_ITEM)
    theirs = kfp_reference(tmp_path)
    assert kfp_check.references(ours) == []
    our_tasks, their_tasks = ours["root"]["dag"]["tasks"], theirs["root"]["dag"]["tasks"]
    assert sorted(our_tasks) == sorted(their_tasks) == ["every", "for-x-in-numbers", "for-x-in-numbers-items",
                                                         "numbers"]
    for task in ("for-x-in-numbers", "every"):  # the loop, and the fan-in of the picks and of `last`
        assert without_names(our_tasks[task]) == without_names(their_tasks[task])
    with_param_passed_in(theirs)
    # the iteration: its node, the decide step, the group, the reader of the one-of and the pick task
    loop = dag_of(ours, "comp-for-x-in-numbers")
    assert sorted(loop["dag"]["tasks"]) == ["d", "if-1", "if-1-branches", "last", "r"]
    assert loop == dag_of(theirs, "comp-for-x-in-numbers")
    # the group: a task per branch on the decide step's output, the item passed in; each branch its node
    for component in ("comp-if-1-branches", "comp-if-1-if", "comp-if-1-else"):
        assert dag_of(ours, component) == dag_of(theirs, component)
    for task in ("if-1", "r"):  # the decide step and the pick task: the same inputs and outputs
        mine = ours["components"][loop_task(ours, task)["componentRef"]["name"]]
        kfps = theirs["components"][loop_task(theirs, task)["componentRef"]["name"]]
        assert (mine["inputDefinitions"], mine["outputDefinitions"]) == (kfps["inputDefinitions"],
                                                                         kfps["outputDefinitions"])


def with_param_passed_in(theirs: dict) -> None:
    """kfp 2.17 leaves the param `n`, which the `else` branch's task reads, out of the group's and the
    branch's inputs here (its task reads an input its component does not declare, which kfp.local lets
    pass). It passes a param into a branch in a loop in simpler pipelines, as fuseflow does here:
    that, for the comparison."""
    branch = theirs["components"]["comp-if-1-else"]
    assert branch["dag"]["tasks"]["r-else"]["inputs"]["parameters"]["n"] == {
        "componentInputParameter": "pipelinechannel--n"}
    assert "pipelinechannel--n" not in branch["inputDefinitions"]["parameters"]
    integer = {"parameterType": "NUMBER_INTEGER"}
    for component in ("comp-if-1-branches", "comp-if-1-else"):
        theirs["components"][component]["inputDefinitions"]["parameters"]["pipelinechannel--n"] = integer
    loop = theirs["components"]["comp-for-x-in-numbers"]["dag"]["tasks"]
    group = theirs["components"]["comp-if-1-branches"]["dag"]["tasks"]
    for task in (loop["if-1-branches"], group["if-1-else"]):
        task["inputs"]["parameters"]["pipelinechannel--n"] = {"componentInputParameter": "pipelinechannel--n"}


def loop_task(spec: dict, task: str) -> dict:
    return spec["components"]["comp-for-x-in-numbers"]["dag"]["tasks"][task]


def test_the_decide_step_reads_the_item_and_its_key_and_names_the_items_decision():
    ours, _ = spec_of(PER_ITEM)
    decide = loop_task(ours, "if-1")
    assert decide["taskInfo"] == {"name": "the `if` on line 7 (iteration *)"}
    key = decide["inputs"]["parameters"]["fuseflow_key"]
    assert key == {"componentInputParameter": "pipelinechannel--for-x-in-numbers-items-Output-loop-item",
                   "parameterExpressionSelector": 'parseJson(string_value)["fuseflow_key"]'}
    group = loop_task(ours, "if-1-branches")
    assert group["taskInfo"] == {"name": "if-1.*"}
    branches = ours["components"]["comp-if-1-branches"]["dag"]["tasks"]
    assert {name: task["taskInfo"]["name"] for name, task in branches.items()} == {"if-1-if": "if d > 2",
                                                                                   "if-1-else": "else"}
    assert loop_task(ours, "r")["taskInfo"] == {"name": "r (*)"}


# --- run with kfp.local, against the local target ------------------------------------------------

ITEM_STEPS = '''
import os


def log(event):
    with open(os.environ["FUSE_LOG"], "a") as f:
        f.write(event + "\\n")


def add(a, b):
    log(f"add {a!r} {b!r}")
    return [a, b] if isinstance(b, list) or not isinstance(a, type(b)) else a + b


def listed(n):
    log(f"listed {n}")
    return list(range(n))


def table(n):
    log(f"table {n}")
    return {f"k{i}": i * 3 for i in range(n)}
'''

AROUND_AND_INSIDE = """
    workflow itemifs
    from itemsteps import add, listed, table
    param n: int = 4
    param limit: int = 4
    for ds in ["moons", "circles"] {          # a run-time loop per static iteration, each deciding per item
        data = listed(n)
        for x in data {
            g = add(x, 1)
            if g > 2 and ds == "moons" {
                if x == 3 {                     # nested: inside the branch's sub-DAG
                    big = add(g, 1000)
                } else {
                    big = add(g, 0)
                }
                for k in [1, 2] {               # a static loop inside a branch
                    cell = add(big, k)
                }
                kept = add(big, [cell])
            } else {
                kept = add(g, -1)
            }
            note = add(kept, 1)                 # the one-of, read in the loop
        }
    }
    t = table(3)
    for key, v in t {                           # over a dict
        if v >= limit {
            w = add(v, 100)
        } else {
            w = add(key, "!")
        }
    }
    total = add(kept["moons"], [note["circles"]])  # the one-ofs, collected by the pick tasks
    return total, w, note
    """


@pytest.fixture
def item_project(project):
    (project.root / "itemsteps.py").write_text(ITEM_STEPS, encoding="utf-8")
    return project


@pytest.mark.slow
def test_ifs_in_loops_around_and_inside_static_loops_run_on_kfp_local_as_on_the_local_target(item_project):
    path = item_project(AROUND_AND_INSIDE)
    runs = on_both(item_project, path, "itemifs", {})
    assert runs["kfp"] == runs["local"]  # outputs, calls, what the run did, every result under the same key
    outputs, _, summary, _ = runs["kfp"]
    assert outputs["w"] == {"k0": "k0!", "k1": "k1!", "k2": 106}
    assert summary["decisions"]["if-1.moons.3"] == "if" and summary["decisions"]["if-2.moons.3"] == "if"
    assert "if-2.circles.0" not in summary["decisions"]  # inside a branch not taken: never decided
    assert run(path, "kfp", storage=str(item_project.root / "local")) == outputs  # the local target's, loaded
    assert item_project.calls() == []


@pytest.mark.slow
def test_a_test_that_fails_for_one_item_names_that_item_as_the_engine_does(item_project):
    from fuseflow.runtime.invoke import RunFailed

    path = item_project("""
        workflow itemifs
        from itemsteps import add
        param xs: list = [1, 2, "a"]
        for x in xs {
            if x > 1 {
                y = add(x, 1)
            } else {
                y = add(x, 2)
            }
        }
        return y
        """)
    for target in ("local", "kfp"):
        with pytest.raises(RunFailed) as caught:
            run(path, target, no_cache=True)
        assert str(caught.value) == ("the `if` on line 6 (iteration 2): 'a' > 1: TypeError: '>' not supported "
                                     "between instances of 'str' and 'int'"), target
