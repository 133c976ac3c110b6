"""Run-time loops on KFP: the YAML is what kfp's own compiler writes for a `dsl.ParallelFor` over
the list a task returns, with `dsl.Collected` fan-in, and it is the same for any number of items.

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import copy
import json

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp.dsl import Artifact, Input, Output, OutputPath  # noqa: E402
from kfp_helpers import parse, run, spec_of, stored, without_names, yaml_of  # noqa: E402

from fuseflow.targets.kfp import check as kfp_check  # noqa: E402

LOOP = """
    from steps import inc, show, upto
    param n: int = 3
    numbers = upto(n)
    base = inc(1)
    for x in numbers {
        up = show(x, n, base)
        twice = show(up)
    }
    every = show(twice)
    return every
    """


def kfp_reference(tmp_path):
    """The same loop in kfp's DSL, compiled by kfp: the items step's list iterated by
    dsl.ParallelFor, the item's fields read in the loop, its results fanned in by dsl.Collected."""
    image = "python:3.11"

    @dsl.component(base_image=image)
    def numbers(n: int, result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def base(result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def for_x_in_numbers_items(numbers: Input[Artifact], keys: OutputPath(str)) -> list:
        return []

    @dsl.component(base_image=image)
    def up(x: str, n: int, base: Input[Artifact], fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str,
           fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def twice(up: Input[Artifact], fuseflow_key: str, fuseflow_node: str, fuseflow_rerun: str,
              fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.component(base_image=image)
    def every(twice: Input[list[Artifact]], twice_keys: str, fuseflow_node: str, fuseflow_rerun: str,
              fuseflow_storage: str, result: Output[Artifact]):
        pass

    @dsl.pipeline(name="reference")
    def pipeline(n: int = 3, fuseflow_storage: str = "", fuseflow_rerun: str = ""):
        made = numbers(n=n)
        b = base()
        items = for_x_in_numbers_items(numbers=made.outputs["result"])
        run = {"fuseflow_rerun": fuseflow_rerun, "fuseflow_storage": fuseflow_storage}
        with dsl.ParallelFor(items.outputs["Output"]) as item:
            u = up(x=item.x, n=n, base=b.outputs["result"], fuseflow_key=item.fuseflow_key, fuseflow_node="up.*",
                   **run)
            t = twice(up=u.outputs["result"], fuseflow_key=item.fuseflow_key, fuseflow_node="twice.*", **run)
        every(twice=dsl.Collected(t.outputs["result"]), twice_keys=items.outputs["keys"], fuseflow_node="every",
              **run)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    text = path.read_text().replace("for-loop-1", "for-x-in-numbers")  # kfp numbers its loops; fuseflow names them
    return parse(text)[0]


def test_the_loop_is_what_kfp_writes_for_parallel_for_and_collected(tmp_path):
    ours, _ = spec_of(LOOP)
    theirs = kfp_reference(tmp_path)
    our_tasks, their_tasks = ours["root"]["dag"]["tasks"], theirs["root"]["dag"]["tasks"]
    # the loop task: an iterator over the items step's list, what the body reads passed in
    assert without_names(our_tasks["for-x-in-numbers"]) == without_names(their_tasks["for-x-in-numbers"])
    # its sub-DAG: one iteration's tasks, the item's fields read with kfp's expressions, a Collected output
    loop, their_loop = (copy.deepcopy(spec["components"]["comp-for-x-in-numbers"]) for spec in (ours, theirs))
    for dag in (loop["dag"], their_loop["dag"]):
        dag["tasks"] = {name: without_names(task) for name, task in dag["tasks"].items()}
    assert loop == their_loop
    # the items step returns the list (Output) and writes the keys; the fan-in reads them and the collected list
    for task in ("every", "for-x-in-numbers-items"):
        assert without_names(our_tasks[task]) == without_names(their_tasks[task])
        our_component = ours["components"][our_tasks[task]["componentRef"]["name"]]
        their_component = theirs["components"][their_tasks[task]["componentRef"]["name"]]
        assert our_component["inputDefinitions"] == their_component["inputDefinitions"]
        assert our_component["outputDefinitions"] == their_component["outputDefinitions"]


def test_the_yaml_does_not_grow_with_the_items():
    few, many = (yaml_of(LOOP.replace("n: int = 3", f"n: int = {n}")) for n in (123457, 98765432101))
    assert few.replace("123457", "98765432101") == many  # the param's default only: a task per statement


STATIC_AROUND_AND_INSIDE = """
    from steps import inc, show, upto, pair
    param sizes: list = [1, 2]
    for ds in ["moons", "circles"] {
        data = upto(3)
        for x in data {
            for k in [1, 2] {
                cell = show(x, k, [x, k])
            }
            both = show(cell, x)
        }
    }
    d = pair(1, 2)
    for k, v in d {
        kv = show(k, v)
    }
    for s in sizes {
        grown = inc(s)
    }
    second = inc(grown[1])
    return both, cell, kv, second
    """


def test_every_loop_of_each_static_iteration_is_a_loop_task_and_static_loops_inside_are_tasks():
    spec, _ = spec_of(STATIC_AROUND_AND_INSIDE)
    assert kfp_check.references(spec) == []
    tasks = spec["root"]["dag"]["tasks"]
    loops = sorted(name for name, task in tasks.items() if "parameterIterator" in task)
    assert loops == ["for-k-v-in-d", "for-s-in-sizes", "for-x-in-data-circles", "for-x-in-data-moons"]
    moons = spec["components"]["comp-for-x-in-data-moons"]
    assert sorted(moons["dag"]["tasks"]) == ["both-moons", "cell-moons-1", "cell-moons-2"]  # cell.moons.*.1, ...
    # the items of a param come through the items step too, from the pipeline input
    assert tasks["for-s-in-sizes-items"]["inputs"]["parameters"]["sizes"] == {"componentInputParameter": "sizes"}
    # `cell` outside: per loop (moons, circles), one collected list per static key inside it (1, 2)
    outputs = tasks["fuseflow-outputs"]["inputs"]["artifacts"]
    assert sorted(name for name in outputs if name.startswith("cell")) == [
        "cell_circles_1", "cell_circles_2", "cell_moons_1", "cell_moons_2"]
    collected = {"outputArtifactKey": "pipelinechannel--cell-moons-2-result", "producerTask": "for-x-in-data-moons"}
    assert outputs["cell_moons_2"] == {"taskOutputArtifact": collected}
    both = moons["dag"]["tasks"]["both-moons"]["inputs"]["parameters"]
    assert both["x"] == {"componentInputParameter": "pipelinechannel--for-x-in-data-moons-items-Output-loop-item",
                         "parameterExpressionSelector": 'parseJson(string_value)["x"]'}


def test_a_variable_named_like_the_key_field_gets_a_field_of_its_own():
    spec, _ = spec_of("""
        from steps import show, pair
        d = pair(1, 2)
        for fuseflow_key, v in d {
            kv = show(fuseflow_key, v)
        }
        return kv
        """)
    inputs = spec["components"]["comp-for-fuseflow-key-v-in-d"]["dag"]["tasks"]["kv"]["inputs"]["parameters"]
    selectors = {name: binding["parameterExpressionSelector"] for name, binding in inputs.items()
                 if "parameterExpressionSelector" in binding}
    assert selectors == {"fuseflow_key": 'parseJson(string_value)["fuseflow_key"]',
                         "fuseflow_key_2": 'parseJson(string_value)["fuseflow_key_2"]',
                         "v": 'parseJson(string_value)["v"]'}


def test_options_select_a_loops_tasks_by_the_name_with_a_star_for_the_key():
    spec, _ = spec_of(LOOP.replace("return every", 'options { "up\\\\..*": { retries: 3 } }\nreturn every'))
    tasks = spec["components"]["comp-for-x-in-numbers"]["dag"]["tasks"]
    assert tasks["up"]["retryPolicy"]["maxRetryCount"] == 3
    assert "retryPolicy" not in tasks["twice"]


def test_a_loop_whose_results_nothing_reads_is_left_out():
    spec, _ = spec_of(LOOP.replace("return every", "return base"))
    assert not any("parameterIterator" in task for task in spec["root"]["dag"]["tasks"].values())
    assert not [name for name in spec["components"] if name.startswith("comp-for")]


def test_the_check_looks_into_a_loops_dag():
    spec, _ = spec_of(LOOP)
    loop = spec["components"]["comp-for-x-in-numbers"]
    loop["inputDefinitions"]["artifacts"].pop("pipelinechannel--base-result")
    selector = loop["dag"]["outputs"]["artifacts"]["pipelinechannel--twice-result"]["artifactSelectors"][0]
    selector["producerSubtask"] = "x"
    assert kfp_check.references(spec) == [
        "task 'for-x-in-numbers': input 'pipelinechannel--base-result' is not an input of 'comp-for-x-in-numbers'",
        "task 'up': input 'base' reads loop 'comp-for-x-in-numbers' input 'pipelinechannel--base-result', which is "
        "not declared",
        "loop 'comp-for-x-in-numbers' output 'pipelinechannel--twice-result': producerSubtask 'x' is not a task",
    ]


def test_kfp_loads_the_pipeline_back(tmp_path):
    from kfp import components

    path = tmp_path / "loops.yaml"
    path.write_text(yaml_of(STATIC_AROUND_AND_INSIDE))
    assert components.load_component_from_file(str(path)).name == "wf"


def test_items_travel_as_json_text_or_as_a_record():
    from fuseflow.targets.kfp.arguments import item_text, item_value

    for value in (3, 2.0, "a", None, True, [1, {"k": [2.5, "{{$}}"]}], "/kfp-workspace/x"):
        text = item_text(value)
        assert not text.startswith("fuseflow-record:") and "{{" not in text and "/kfp-workspace" not in text
        assert item_value(text) == value and type(item_value(text)) is type(value)
    for value in ((1, "a"), {1: "int key"}, {"nested": (1, 2)}, {3, 4}):
        text = item_text(value)
        assert text.startswith("fuseflow-record:")
        assert item_value(text) == value and type(item_value(text)) is type(value)
    assert json.loads(item_text("{{$}}")).startswith("fuseflow-json:")  # encoded as every string parameter is


# --- run with kfp.local (2.17 runs ParallelFor and Collected), against the local target ----------

LOOP_STEPS = '''
import os


def log(event):
    with open(os.environ["FUSE_LOG"], "a") as f:
        f.write(event + "\\n")


def upto(n):
    return list(range(1, n + 1))


def pairs(n):
    return [(i, f"p{i}") for i in range(n)]


def table():
    return {"a b": 1, "{{$}}": 2, 3: [1.0, 2]}


def kind(x):
    log(f"kind {x!r}")
    return type(x).__name__


def show(*args, **kwargs):
    log(f"show {args!r}")
    return [list(args), kwargs]


def boom(x):
    if x == 2:
        raise ValueError(f"boom {x}")
    return x


class Counter:
    def __init__(self, start):
        self.total = start

    def add(self, n):
        self.total += n
        return self.total
'''

EVERY_FORM = """
    workflow loops
    from loopsteps import upto, pairs, table, kind, show, Counter
    param cfg: dict = {"sizes": [2, 3]}
    base = upto(1)
    p = pairs(2)
    for x in p {                              # tuples: their items travel as storage records
        k = kind(x)
        for j in [1, 2] {
            cell = show(x[1], j, [x[0], j], base)
        }
        both = show(cell, {"a": x})
    }
    t = table()
    for key, v in t {                         # a dict: a placeholder-like key, an int key
        kv = show(key, v)
    }
    for name, n in [["knn", 1], ["tree", 2]] {
        rows = show(name)
    }
    r = upto(2)
    for n in r {                              # an object per item, its calls in order
        c = Counter(n)
        c.add(1)
        first = show(n)
        got = c.add(n) after first
    }
    for ds in ["moons", "circles"] {          # a loop per static iteration, over a param
        tag = kind(ds)
        for size in cfg["sizes"] {
            m = show(tag, size)
        }
    }
    fin = show(both[1], kv["a b"], got[1], m["moons"])
    return fin, k, kv, cell, got, m, both
    """


@pytest.fixture
def loop_project(project):
    (project.root / "loopsteps.py").write_text(LOOP_STEPS, encoding="utf-8")
    return project


@pytest.mark.slow
def test_every_form_of_loop_runs_on_kfp_local_as_on_the_local_target(loop_project):
    path = loop_project(EVERY_FORM)
    local, kfp = loop_project.root / "local", loop_project.root / "kfp"
    expected = run(path, "local", storage=str(local))
    assert expected["k"] == ["tuple", "tuple"]  # the item itself, not a list made of it
    local_calls = sorted(loop_project.calls())
    (loop_project.root / "calls.log").unlink()
    assert run(path, "kfp", storage=str(kfp)) == expected
    assert sorted(loop_project.calls()) == local_calls
    assert stored(kfp, "loops") == stored(local, "loops")  # every node, each item's among them, under the same key
    (loop_project.root / "calls.log").unlink()
    assert run(path, "kfp", storage=str(local)) == expected  # the local target's results, loaded
    assert loop_project.calls() == []


@pytest.mark.slow
@pytest.mark.parametrize("items", ["[]", "{}"])
def test_a_loop_over_no_items_gives_an_empty_list_or_dict(loop_project, items):
    path = loop_project(f"""
        workflow loops
        from loopsteps import show
        param items: {"list" if items == "[]" else "dict"} = {items}
        for x in items {{
            y = show(x)
        }}
        all = show(y)
        return all, y
        """)
    assert run(path, "kfp", no_cache=True) == run(path, "local", no_cache=True)


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), [
    ("n = kind(3)\nfor x in n {\n    y = show(x)\n}\nreturn y",
     "the run-time loop over n needs a list or a dict; n is str"),
    ("n = upto(2)\nfor x in n {\n    y = show(x)\n}\nz = show(y[5])\nreturn z",
     "y[5]: index 5 is out of range for a list of 2"),
])
def test_a_loop_that_cannot_run_stops_the_run_as_the_engine_does(loop_project, text, expected):
    from fuseflow.runtime.fanout import LoopFailed

    path = loop_project("workflow loops\nfrom loopsteps import upto, kind, show\n" + text)
    for target in ("local", "kfp"):
        with pytest.raises(LoopFailed) as caught:
            run(path, target, no_cache=True)
        assert str(caught.value) == expected, target


@pytest.mark.slow
def test_a_failing_item_is_its_nodes_failure(loop_project):
    from fuseflow.runtime.invoke import NodeFailed

    path = loop_project("""
        workflow loops
        from loopsteps import upto, boom
        n = upto(3)
        for x in n {
            b = boom(x)
        }
        return b
        """)
    with pytest.raises(NodeFailed) as caught:
        run(path, "kfp", no_cache=True)
    assert str(caught.value) == "node 'b.1' failed: ValueError: boom 2"
    assert 'raise ValueError(f"boom {x}")' in caught.value.user_traceback


def test_print_is_restored_after_a_run_whose_threads_left_it_patched():
    """kfp.local's ParallelFor threads patch builtins.print in turn and may put back one another's
    patch; a run puts back the print it found (else every later print begins with spaces)."""
    import builtins

    from fuseflow.targets.kfp.local import print_restored

    original = builtins.print
    with print_restored():
        builtins.print = lambda *args, **kwargs: None  # as a racing thread leaves it
    assert builtins.print is original
