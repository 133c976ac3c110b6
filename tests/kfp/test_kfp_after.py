"""`after` is kfp's `.after()`: the same ordering made with kfp's own DSL and compiled by kfp
gives the same `dependentTasks`; a data edge and an ordering edge to one task are one entry;
a task with `after` is told which nodes' --rerun forces it.

(No `from __future__ import annotations` here: kfp's DSL reads annotations as types.)"""

import json

import pytest

pytestmark = pytest.mark.kfp

from kfp import compiler, dsl  # noqa: E402
from kfp_helpers import parse, spec_of  # noqa: E402

ORDERED = """
    from steps import inc, add
    a = inc(1)
    b = inc(2) after a
    c = add(b, 3) after a, b
    for k in [1, 2] {
        d = inc(k) after c
    }
    e = inc(4) after d
    return e
    """


def kfp_reference(tmp_path):
    """The same ordering with kfp's DSL, compiled by kfp: `.after(task, ...)`."""

    @dsl.component(base_image="python:3.11")
    def inc(x: int) -> int:
        return x + 1

    @dsl.component(base_image="python:3.11")
    def add(a: int, b: int) -> int:
        return a + b

    @dsl.pipeline(name="reference")
    def pipeline():
        a = inc(x=1)
        b = inc(x=2).after(a)
        c = add(a=b.output, b=3).after(a, b)
        d1 = inc(x=1).after(c)
        d2 = inc(x=2).after(c)
        inc(x=4).after(d1, d2)

    path = tmp_path / "reference.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    return parse(path.read_text())[0]


def test_after_gives_the_dependent_tasks_kfp_gives_after(tmp_path):
    ours, _ = spec_of(ORDERED)
    theirs = kfp_reference(tmp_path)
    theirs_named = {"inc": "a", "inc-2": "b", "add": "c", "inc-3": "d-1", "inc-4": "d-2", "inc-5": "e"}  # kfp's names
    our_tasks, their_tasks = ours["root"]["dag"]["tasks"], theirs["root"]["dag"]["tasks"]
    assert set(our_tasks) == set(theirs_named.values())
    for their_name, our_name in theirs_named.items():
        their_after = their_tasks[their_name].get("dependentTasks")
        assert their_after is None or their_after == sorted(their_after)  # kfp sorts them
        expected = sorted(theirs_named[task] for task in their_after) if their_after else None
        assert our_tasks[our_name].get("dependentTasks") == expected, our_name  # each task once (c reads b too)


def test_a_task_with_after_knows_which_reruns_force_it():
    ours, _ = spec_of(ORDERED)
    tasks = ours["root"]["dag"]["tasks"]
    followed = {name: json.loads(task["inputs"]["parameters"]["fuseflow_after"]["runtimeValue"]["constant"])
                for name, task in tasks.items() if "fuseflow_after" in task["inputs"]["parameters"]}
    # the nodes of its `after` and everything they depend on: a --rerun of any of them forces it
    assert followed == {"b": ["a"], "c": ["a", "b"], "d-1": ["a", "b", "c"], "d-2": ["a", "b", "c"],
                        "e": ["a", "b", "c", "d.1", "d.2"]}
