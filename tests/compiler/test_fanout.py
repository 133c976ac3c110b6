"""Run-time loops in the front end: the body described once (ir.FanOut), its results outside
the loop gathered (ir.Gathered), and the mistakes said at their position."""
from __future__ import annotations

import pytest

from fuseflow import ir
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source


def compiled(text: str) -> ir.Workflow:
    wf, _ = compile_source(text, "t.fuse")
    return wf


def errors(text: str) -> str:
    with pytest.raises(CompileError) as caught:
        compile_source(text, "t.fuse")
    return str(caught.value)


def test_the_body_is_described_once_and_its_nodes_are_not_the_workflow_s():
    wf = compiled("""
from m import listing, load, merge, add
param root: str = "data"
files = listing(root)
for f in files {
    table = load(f["path"], root)
    for k in [1, 2] {
        cell = add(table, k)
    }
}
report = merge(table, table[1], cell)
options { "table\\\\.[0-9]+": { retries: 2 } }
""")
    assert [node.name for node in wf.nodes] == ["files", "report"]
    (fanout,) = wf.fanouts
    assert (fanout.vars, fanout.iterable, fanout.keys) == (("f",), ir.Ref("files"), ())
    table, inner = fanout.body
    assert table == ir.Statement("table", "call", "m:load", (ir.LoopVar("f", ("path",)), ir.ParamRef("root")),
                                 span=(6, 13, 6, 34))
    assert isinstance(inner, ir.Loop) and inner.items == [1, 2]
    assert inner.body[0].args == (ir.LoopRef("table"), ir.LoopVar("k"))
    assert wf.node("report").args == (ir.Gathered("table"), ir.Gathered("table", (), (1,)), ir.Gathered("cell"))
    assert fanout.queries == (("table\\.[0-9]+", "neutral", {"retries": 2}),)
    assert ir.Workflow.from_json(wf.to_json()) == wf


def test_a_run_time_loop_inside_a_static_loop_is_one_per_static_item():
    wf = compiled("""
from m import listing, load, merge
for ds in ["a", "b"] {
    files = listing(ds)
    for f in files {
        table = load(f, ds)
    }
    summary = merge(table)
}
""")
    assert [(f.iterable, f.keys) for f in wf.fanouts] == [(ir.Ref("files.a"), ("a",)), (ir.Ref("files.b"), ("b",))]
    assert wf.fanouts[0].body[0].args == (ir.LoopVar("f"), ir.Literal("a"))
    assert wf.node("summary.b").args == (ir.Gathered("table", ("b",)),)


def test_without_return_a_loop_s_unread_results_are_outputs_gathered():
    wf = compiled("from m import listing, load\nfiles = listing()\nfor f in files { t = load(f) }\n")
    assert wf.outputs == (ir.Output("t", ir.Gathered("t")),)


def test_the_expansion_gives_a_node_per_item_with_the_item_as_its_argument():
    wf = compiled("from m import listing, load\nfiles = listing()\nfor f in files { t = load(f) }\n")
    nodes, gathered = ir.expand_fanout(wf.fanouts[0], ["x", "y"], "files")
    assert [(node.name, node.args) for node in nodes] == [("t.0", (ir.Literal("x"),)), ("t.1", (ir.Literal("y"),))]
    assert gathered == {"t": ir.ListOf((ir.Ref("t.0"), ir.Ref("t.1")))}


def test_after_inside_a_run_time_loop_orders_each_item_s_nodes():
    wf = compiled("""
from m import listing, f, g
files = listing()
setup = f()
for x in files {
    a = f(x)
    b = g(x) after a, setup
}
""")
    statement = wf.fanouts[0].body[1]
    assert statement.after == (ir.LoopRef("a"), ir.Ref("setup"))
    nodes, _ = ir.expand_fanout(wf.fanouts[0], ["p", "q"])
    assert [(node.name, node.after) for node in nodes if node.name.startswith("b")] == [
        ("b.0", ("a.0", "setup")), ("b.1", ("a.1", "setup"))]


@pytest.mark.parametrize(("text", "expected"), [
    ("from m import f\nparam n: int = 1\nfor x in n { y = f(x) }\n",
     "t.fuse:3:10: error: a run-time loop over param 'n', which is int"),
    ("from m import f\na = f()\nfor x in a {\n    b = f(x)\n    for y in b { c = f(y) }\n}\n",
     "t.fuse:5:14: error: a run-time loop inside another run-time loop"),
    ("from m import f\na = f()\nfor x in a { b = f(a[x]) }\n",
     "t.fuse:3:20: error: a run-time loop cannot say this: an index that changes with the item"),
    ("from m import f\na = f()\nfor x in a { up = f(x) }\nb = f()\nfor y in b { z = f(y, up) }\n",
     "t.fuse:5:18: error: a run-time loop reads the results of another run-time loop"),
])
def test_mistakes_are_errors_at_their_position(text, expected):
    assert expected in errors(text)


def test_a_target_that_does_not_write_run_time_loops_yet_says_so_at_the_loop():
    from fuseflow.targets import get as get_target
    from fuseflow.targets.base import Target

    class Plain(Target):  # a target that says nothing of run-time loops
        name = "plain"

    wf = compiled("from m import listing, load\nfiles = listing()\nfor f in files { t = load(f) }\n")
    for running, does in ((True, "run"), (False, "write")):
        with pytest.raises(CompileError) as caught:
            Plain().supports(wf, running=running)
        assert f"t.fuse:3:1: error: --target plain does not {does} run-time loops yet" in str(caught.value)
    get_target("local").supports(wf, running=True)  # the engine runs them


def test_finally_nodes_are_final_read_run_status_and_are_no_outputs():
    wf = compiled("""
from m import f, notify
a = f(1)
finally {
    notify(run_status, run_status["state"])
}
""")
    notify = wf.node("notify_1")
    assert notify.final and notify.args == (ir.RunStatus(), ir.RunStatus(("state",)))
    assert wf.outputs == (ir.Output("a", ir.Ref("a")),)
    assert ir.Workflow.from_json(wf.to_json()) == wf
