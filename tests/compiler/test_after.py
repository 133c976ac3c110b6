"""`y = f(a) after x`: ordering without data, as the IR carries it (Node.after, the file's part
Node.declared_after, loop statements' `after`), and what it leaves alone (arguments, cache keys)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fuseflow import ir
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_file, compile_source
from fuseflow.ir.expand import Expansion
from fuseflow.runtime.bind import bind
from fuseflow.runtime.keys import compute_keys


def compiled(text: str) -> ir.Workflow:
    workflow, _ = compile_source(textwrap.dedent(text).lstrip(), "t.fuse")
    return workflow


def after(wf: ir.Workflow) -> dict[str, tuple[str, ...]]:
    return {node.name: node.after for node in wf.nodes if node.after}


def test_after_orders_without_data_several_names_and_bare_calls():
    wf = compiled("""
        from examples.ops import add
        done = add(1, 2)
        other = add(3, 4)
        rows = add(5, 6) after done
        add(rows, 1) after done, other
        return rows
    """)
    assert after(wf) == {"rows": ("done",), "add_1": ("done", "other")}
    rows = wf.node("rows")
    assert rows.args == (ir.Literal(5), ir.Literal(6))  # no data edge: the arguments are the call's own
    assert rows.dependencies() == ["done"]
    assert wf.node("add_1").dependencies() == ["rows", "done", "other"]  # data edges first, then ordering
    assert ir.needed_nodes(wf) == {"rows", "done"}  # what `rows` runs after is needed: it runs first


def test_in_a_loop_the_current_iteration_outside_it_the_whole_family():
    wf = compiled("""
        from examples.ops import add
        setup = add(0, 0)
        for i in [1, 2] {
            w = add(i, 1) after setup
            v = add(i, 2) after w
            for j in ["a", "b"] {
                u = add(i, 3) after v
            }
            s = add(i, 4) after u
        }
        z = add(5, 5) after w, u
    """)
    assert after(wf) == {
        "w.1": ("setup",), "v.1": ("w.1",), "u.1.a": ("v.1",), "u.1.b": ("v.1",), "s.1": ("u.1.a", "u.1.b"),
        "w.2": ("setup",), "v.2": ("w.2",), "u.2.a": ("v.2",), "u.2.b": ("v.2",), "s.2": ("u.2.a", "u.2.b"),
        "z": ("w.1", "w.2", "u.1.a", "u.1.b", "u.2.a", "u.2.b"),
    }
    (loop,) = wf.loops  # described: the generators write it as a loop
    statements = {s.name: s.after for _, s in ir.loop_statements(wf.loops)}
    assert statements == {"w": (ir.Ref("setup"),), "v": (ir.LoopRef("w"),), "u": (ir.LoopRef("v"),),
                          "s": (ir.LoopFamily("u", 1),)}
    expanded = {node.name: node.after for node in Expansion(wf.loops).nodes(loop)}
    assert expanded == {node.name: node.declared_after for node in wf.nodes if node.keys}
    assert ir.Workflow.from_json(wf.to_json()) == wf


def test_a_method_call_keeps_its_object_order_first():
    """Node.after of a method call starts with the call before it on its object (the object
    itself for its first call, when the file names nodes of its own)."""
    wf = compiled("""
        from examples.counter import IncrementalSum, minus
        one = minus(4, 3)
        c = IncrementalSum(start=one)
        first = c.add(one) after one
        second = c.add(2)
        third = c.add(3) after first, one
        later = minus(third, 1) after second
        return later
    """)
    assert after(wf) == {"first": ("c", "one"), "second": ("first",), "third": ("second", "first", "one"),
                         "later": ("second",)}
    assert [wf.node(n).declared_after for n in ("first", "second", "third", "later")] == [
        ("one",), (), ("first", "one"), ("second",)]


def test_the_same_node_named_twice_is_one_edge_and_data_edges_stay_data_edges():
    wf = compiled("""
        from examples.ops import add
        x = add(1, 2)
        y = add(x, 1) after x, x
    """)
    assert wf.node("y").after == ("x",) and wf.node("y").args[0] == ir.Ref("x")


def test_cache_keys_do_not_include_after():
    plain = compiled("""
        from examples.ops import add
        x = add(1, 2)
        y = add(3, 4)
    """)
    ordered = compiled("""
        from examples.ops import add
        x = add(1, 2)
        y = add(3, 4) after x
    """)
    assert compute_keys(bind(plain, "."), {}) == compute_keys(bind(ordered, "."), {})


def test_bound_nodes_carry_the_files_after_only():
    wf = compiled("""
        from examples.counter import IncrementalSum, minus
        one = minus(4, 3)
        c = IncrementalSum(start=one)
        c.add(1)
        two = c.add(2) after one
        three = c.add(3)
    """)
    graph = bind(wf, ".")
    assert {node.name: node.after for node in graph.nodes} == {
        "one": (), "c": (), "c_add_1": (), "two": ("one",), "three": ()}
    assert graph.topology.after == [(), (), (), ("one",), ()]


def test_a_used_workflows_call_orders_all_its_nodes_and_is_followed_through_its_outputs(tmp_path: Path):
    (tmp_path / "prep.fuse").write_text(textwrap.dedent("""
        workflow prep
        from examples.ops import add
        param n: int
        a = add(n, 1)
        b = add(a, 1)
        return b
    """).lstrip(), encoding="utf-8")
    (tmp_path / "main.fuse").write_text(textwrap.dedent("""
        from examples.ops import add
        use "prep.fuse" as prep
        first = add(0, 0)
        r = prep(n=1) after first
        last = add(2, 2) after r
        return last, r
    """).lstrip(), encoding="utf-8")
    wf, _ = compile_file(tmp_path / "main.fuse")
    assert after(wf) == {"r.a": ("first",), "r.b": ("first",), "last": ("r.b",)}


def test_an_alias_of_a_result_names_its_node():
    wf = compiled("""
        from examples.ops import add
        for i in [1, 2] {
            x = add(i, 1)
        }
        one = x["1"]
        y = add(0, 0) after one
    """)
    assert wf.node("y").after == ("x.1",)


@pytest.mark.parametrize("text, message", [
    ("x = add(1, 2) after x", "'x' cannot run after itself"),
    ("y = add(1, 2) after x\nx = add(1, 2)", "`after` names 'x', a node defined later (line 3)"),
    ("x = add(1, 2)\ny = add(1, 2) after xx", "`after` names an unknown node 'xx'"),
    ("param p: int\ny = add(1, 2) after p", "`after` names 'p', a param, not a node"),
    ("x = add(1, 2)\ny = x after x", "'y' is an alias, and `after` orders a node"),
    ("for i in [1] {\n  x = add(i, 1)\n}\nfor j in [1] {\n  y = add(j, 1) after i\n}",
     "`after` names an unknown node 'i'"),
])
def test_what_after_cannot_name(text: str, message: str):
    with pytest.raises(CompileError) as caught:
        compile_source("from examples.ops import add\n" + text, "t.fuse")
    assert message in str(caught.value)
