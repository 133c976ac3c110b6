"""`if` / `elif` / `else` in the front end: decisions, guarded nodes, the names every branch
assigns (OneOf), as the IR and its JSON hold them, and as `fusec graph` draws them."""
from __future__ import annotations

from pathlib import Path

import pytest

from fuseflow import ir
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_file, compile_source
from fuseflow.compiler.graph import to_dot, to_mermaid
from fuseflow.ir.conditions import shown, taken

SOURCE = """
from m import f, g
param n: int = 2
param quiet: bool = false
a = f(n)
if a["score"] >= n and not quiet {
    x = f(a)
    only = g(x)
} elif a["score"] == 3 or (quiet and n > 1) {
    x = g(a)
} else {
    x = f(0)
}
y = g(x["k"])
"""


def compiled(text: str = SOURCE) -> ir.Workflow:
    return compile_source(text, "t.fuse")[0]


def test_an_if_is_a_decision_and_its_nodes_carry_their_branch():
    wf = compiled()
    (decision,) = wf.decisions
    assert decision.name == "if-1" and decision.has_else and decision.span[:2] == (6, 1)
    assert [shown(test) for test in decision.tests] == [
        'a["score"] >= n and not quiet', 'a["score"] == 3 or (quiet and n > 1)']
    when = {node.name: node.when for node in wf.nodes}
    assert when == {"a": (), "x.if": (ir.Branch("if-1", 0),), "only": (ir.Branch("if-1", 0),),
                    "x.elif1": (ir.Branch("if-1", 1),), "x.else": (ir.Branch("if-1", 2),), "y": ()}
    (arg,) = wf.node("y").args
    assert arg == ir.OneOf("if-1", (ir.Ref("x.if", ("k",)), ir.Ref("x.elif1", ("k",)), ir.Ref("x.else", ("k",))))
    assert [o.name for o in wf.outputs] == ["y"]  # `only`, in one branch, is no output


def test_the_ir_json_keeps_decisions_and_guards():
    wf = compiled()
    assert ir.Workflow.from_json(wf.to_json()) == wf


def test_tests_are_evaluated_as_python_would_and_take_the_first_that_holds():
    wf = compiled()
    tests = wf.decisions[0].tests
    values = {ir.Ref("a", ("score",)): 3, ir.ParamRef("n"): 2, ir.ParamRef("quiet"): False, ir.Literal(3): 3,
              ir.Literal(1): 1}
    assert taken(tests, lambda v: values[v]) == 0  # 3 >= 2 and not false
    values[ir.ParamRef("quiet")] = True
    assert taken(tests, lambda v: values[v]) == 1  # a == 3
    values[ir.Ref("a", ("score",))] = 0
    assert taken(tests, lambda v: values[v]) == 1  # quiet and n > 1
    values[ir.ParamRef("n")] = 1
    assert taken(tests, lambda v: values[v]) == 2  # the else


def test_an_if_in_a_static_loop_is_one_decision_per_iteration_and_a_family_after_it():
    wf = compiled("""
        from m import f, g
        for k in ["p", "q"] {
            if k == "p" { v = f(k) } else { v = g(k) }
        }
        w = g(v)
    """)
    assert [d.name for d in wf.decisions] == ["if-1.p", "if-1.q"]
    assert wf.node("v.else.q").when == (ir.Branch("if-1.q", 1),)
    (family,) = wf.node("w").args
    assert family == ir.Family("v", (("p", ir.OneOf("if-1.p", (ir.Ref("v.if.p"), ir.Ref("v.else.p")))),
                                     ("q", ir.OneOf("if-1.q", (ir.Ref("v.if.q"), ir.Ref("v.else.q"))))))


def test_nested_ifs_guard_their_nodes_with_every_branch_around_them():
    wf = compiled("""
        from m import f
        param n: int = 1
        if n > 0 {
            if n > 5 { v = f(1) } else { v = f(2) }
            u = f(v)
        }
    """)
    inner = next(d for d in wf.decisions if d.name == "if-2")
    assert inner.when == (ir.Branch("if-1", 0),)
    assert wf.node("v.else").when == (ir.Branch("if-1", 0), ir.Branch("if-2", 1))
    assert wf.node("u").when == (ir.Branch("if-1", 0),)


def test_a_used_workflow_s_decisions_are_prefixed_with_its_call(tmp_path: Path):
    (tmp_path / "lib.fuse").write_text("from m import f\nparam n: int = 1\n"
                                       "if n > 1 { r = f(1) } else { r = f(2) }\nreturn r\n")
    (tmp_path / "main.fuse").write_text('from m import f\nuse "lib.fuse" as lib\nc = lib(n=3)\nd = f(c["r"])\n')
    wf, _ = compile_file(str(tmp_path / "main.fuse"))
    (decision,) = wf.decisions
    assert decision.name == "c.if-1" and decision.tests == (ir.Compare(">", ir.Literal(3), ir.Literal(1)),)
    assert wf.node("c.r.if").when == (ir.Branch("c.if-1", 0),)
    assert wf.node("d").args == (ir.OneOf("c.if-1", (ir.Ref("c.r.if"), ir.Ref("c.r.else"))),)


def test_fusec_graph_draws_each_branch_as_a_group_with_its_test():
    wf = compiled()
    dot, mermaid = to_dot(wf), to_mermaid(wf)
    assert 'label="if-1: if a[\\"score\\"] >= n and not quiet";' in dot
    assert 'label="if-1: else";' in dot
    assert '"a" -> "x.else" [style=dotted];' in dot  # the decision's control over a branch reading nothing of a
    assert 'subgraph loop1["if-1: elif a[#quot;score#quot;] == 3 or (quiet and n #gt; 1)"]' in mermaid


def test_a_name_every_branch_assigns_through_an_if_of_its_own_is_merged_after_the_outer_if():
    wf = compiled("""
from m import f, g
param n: int = 2
a = f(n)
if a > 4 {
    if n > 0 {
        k = f(a)
    } else {
        k = g(a)
    }
} elif a > 2 {
    k = g(n)
} else {
    k = f(0)
}
y = g(k)
""")
    assert [node.name for node in wf.nodes] == ["a", "k.if.if", "k.if.else", "k.elif1", "k.else", "y"]
    assert wf.node("k.if.else").when == (ir.Branch("if-1", 0), ir.Branch("if-2", 1))
    (arg,) = wf.node("y").args
    assert arg == ir.OneOf("if-1", (ir.OneOf("if-2", (ir.Ref("k.if.if"), ir.Ref("k.if.else"))), ir.Ref("k.elif1"),
                                     ir.Ref("k.else")))


def test_a_name_an_inner_if_assigns_in_some_branches_only_is_not_merged_by_the_outer_one():
    with pytest.raises(CompileError) as caught:
        compiled("""
from m import f, g
param n: int = 2
if n > 4 {
    if n > 5 { k = f(n) }
} else {
    k = g(n)
}
y = g(k)
""")
    said = str(caught.value)
    assert "t.fuse:9:7: error: 'k' is assigned in only some branches of the `if` on line 4 (line 6)" in said
