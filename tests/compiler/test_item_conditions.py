"""An `if` inside a run-time loop's body: lowered once with the body (FanOut.decisions, its
statements' `when`, the names every branch assigns in FanOut.merged), made per item when the
loop expands (ir.fanout), and the mistakes said at their position."""
from __future__ import annotations

import pytest

from fuseflow import ir
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.compiler.graph import to_dot
from fuseflow.ir.conditions import shown

SOURCE = """
from m import listing, fit, keep, drop, note, total
param limit: int = 4
xs = listing(limit)
for x in xs {
    d = fit(x)
    if d["score"] > limit and x != "skip" {
        r = keep(d)
        m = note(r)
    } else {
        r = drop(d, x)
    }
    s = note(r)
}
t = total(r)
"""


def compiled(text: str = SOURCE) -> ir.Workflow:
    return compile_source(text, "t.fuse")[0]


def errors(text: str) -> str:
    with pytest.raises(CompileError) as caught:
        compile_source(text, "t.fuse")
    return str(caught.value)


def test_the_if_is_described_with_the_body_and_is_no_decision_of_the_workflow():
    wf = compiled()
    assert wf.decisions == ()
    (fanout,) = wf.fanouts
    (decision,) = fanout.decisions
    assert decision.name == "if-1.*" and decision.has_else and decision.keys == ("*",)
    assert [shown(test) for test in decision.tests] == ['d["score"] > limit and x != "skip"']
    when = {s.name: s.when for s in fanout.body}
    assert when == {"d": (), "r.if": (ir.Branch("if-1.*", 0),), "m": (ir.Branch("if-1.*", 0),),
                    "r.else": (ir.Branch("if-1.*", 1),), "s": ()}
    s = next(s for s in fanout.body if s.name == "s")
    assert s.args == (ir.OneOf("if-1.*", (ir.LoopRef("r.if"), ir.LoopRef("r.else"))),)
    assert fanout.merged == (("r", ir.OneOf("if-1.*", (ir.LoopRef("r.if"), ir.LoopRef("r.else")))),)
    assert wf.node("t").args == (ir.Gathered("r"),)  # the taken branches' results, gathered
    assert ir.Workflow.from_json(wf.to_json()) == wf


def test_each_item_makes_its_own_decision_and_its_nodes_are_inside_it():
    (fanout,) = compiled().fanouts
    nodes, gathered = ir.expand_fanout(fanout, ["a", "skip"])
    assert {node.name: node.when for node in nodes if node.when} == {
        "r.if.0": (ir.Branch("if-1.0", 0),), "m.0": (ir.Branch("if-1.0", 0),), "r.else.0": (ir.Branch("if-1.0", 1),),
        "r.if.1": (ir.Branch("if-1.1", 0),), "m.1": (ir.Branch("if-1.1", 0),), "r.else.1": (ir.Branch("if-1.1", 1),)}
    assert next(node for node in nodes if node.name == "r.else.1").args == (ir.Ref("d.1"), ir.Literal("skip"))
    assert gathered["r"] == ir.ListOf(tuple(ir.OneOf(f"if-1.{i}", (ir.Ref(f"r.if.{i}"), ir.Ref(f"r.else.{i}")))
                                            for i in (0, 1)))
    decisions = ir.fanout_decisions(fanout, ["a", "skip"])
    assert [d.name for d in decisions] == ["if-1.0", "if-1.1"]
    assert decisions[1].keys == ("1",)
    assert decisions[1].tests == (ir.And((ir.Compare(">", ir.Ref("d.1", ("score",)), ir.ParamRef("limit")),
                                          ir.Compare("!=", ir.Literal("skip"), ir.Literal("skip")))),)


def test_an_if_in_a_loop_inside_static_loops_is_named_with_their_keys_too():
    wf = compiled("""
from m import listing, fit, keep
for ds in ["moons", "circles"] {
    xs = listing(ds)
    for x in xs {
        if x > 1 { y = keep(x) }
    }
}
""")
    moons = wf.fanouts[0]
    assert moons.decisions[0].name == "if-1.moons.*"
    nodes, _ = ir.expand_fanout(moons, [1, 2])
    assert [(node.name, node.when) for node in nodes] == [
        ("y.moons.0", (ir.Branch("if-1.moons.0", 0),)), ("y.moons.1", (ir.Branch("if-1.moons.1", 0),))]
    assert [d.name for d in ir.fanout_decisions(moons, [1, 2])] == ["if-1.moons.0", "if-1.moons.1"]


IN_A_STATIC_LOOP = """
from m import listing, fit, keep, drop, note
xs = listing(1)
for x in xs {
    d = fit(x)
    for k in ["a", "b"] {
        if d > k and k == "a" {
            r = keep(d, k)
        } else {
            r = drop(d)
        }
        s = note(r, k)
    }
}
"""


def test_an_if_in_a_static_loop_of_the_body_is_described_once_and_made_per_item_and_iteration():
    (fanout,) = compiled(IN_A_STATIC_LOOP).fanouts
    (decision,) = fanout.decisions
    assert decision.name == "if-1.*.*" and decision.keys == ("*", "*")  # every iteration's, as the statements
    assert decision.tests == (ir.And((ir.Compare(">", ir.LoopRef("d"), ir.LoopVar("k")),
                                      ir.Compare("==", ir.LoopVar("k"), ir.Literal("a")))),)
    (inner,) = [item for item in fanout.body if isinstance(item, ir.Loop)]
    assert {s.name: s.when for s in inner.body} == {
        "r.if": (ir.Branch("if-1.*.*", 0),), "r.else": (ir.Branch("if-1.*.*", 1),), "s": ()}
    s = next(s for s in inner.body if s.name == "s")
    assert s.args[0] == ir.OneOf("if-1.*.*", (ir.LoopRef("r.if"), ir.LoopRef("r.else")))
    assert fanout.merged == ()  # read inside the static loop only
    decisions = ir.fanout_decisions(fanout, [1, 2])
    assert [d.name for d in decisions] == ["if-1.0.a", "if-1.0.b", "if-1.1.a", "if-1.1.b"]
    assert decisions[3].keys == ("1", "b")
    assert decisions[3].tests == (ir.And((ir.Compare(">", ir.Ref("d.1"), ir.Literal("b")),
                                          ir.Compare("==", ir.Literal("b"), ir.Literal("a")))),)
    nodes, _ = ir.expand_fanout(fanout, [1, 2])
    assert {node.name: node.when for node in nodes if node.when}["r.else.1.b"] == (ir.Branch("if-1.1.b", 1),)
    assert next(node for node in nodes if node.name == "s.0.a").args[0] == ir.OneOf(
        "if-1.0.a", (ir.Ref("r.if.0.a"), ir.Ref("r.else.0.a")))


def test_an_if_in_a_static_loop_holding_no_node_is_still_made():
    (fanout,) = compiled("""
from m import listing, keep
xs = listing(1)
for x in xs {
    for k in [1, 2] {
        if x > k { }
    }
}
""").fanouts
    assert [type(item) for item in fanout.body] == [ir.Loop]  # kept for its `if`
    assert [d.name for d in ir.fanout_decisions(fanout, [5])] == ["if-1.0.1", "if-1.0.2"]


def test_fusec_graph_draws_the_item_s_branches_with_their_tests():
    text = to_dot(compiled())
    assert 'label="if-1.*: if d.*[\\"score\\"] > limit and x != \\"skip\\""' in text
    assert 'label="if-1.*: else"' in text and '"r.if.*" [label=' in text and '"r.else.*" -> "s.*"' in text


def test_mistakes_inside_a_loop_s_if_are_said_at_their_position():
    partial = errors("""
from m import listing, keep
xs = listing(1)
for x in xs {
    if x > 1 { y = keep(x) }
    z = keep(y)
}
""")
    assert "t.fuse:6:14: error: 'y' is assigned in only some branches of the `if` on line 5" in partial
    outside = errors("""
from m import listing, keep
xs = listing(1)
for x in xs {
    if x > 1 { y = keep(x) } elif x > 0 { y = keep(0) }
}
z = keep(y)
""")
    assert "t.fuse:7:10: error: 'y' is assigned in only some branches of the `if` on line 5" in outside
    nested = errors("""
from m import listing, keep
xs = listing(1)
for x in xs {
    for k in [1, 2] {
        if x > k { y = keep(x) } else { y = keep(k) }
    }
    z = keep(y)
}
""")
    assert ("t.fuse:8:14: error: 'y' is chosen by an `if` in a static loop inside a run-time loop, and is read "
            "there only") in nested
    call = errors("""
from m import listing, keep
xs = listing(1)
for x in xs {
    if keep(x) { y = keep(x) }
}
""")
    assert "t.fuse:5:8: error: a call inside a condition" in call


IN_A_BRANCH = """
from m import listing, fit, keep, drop, total
param go: bool = true
base = fit(go)
if go {
    xs = listing(base)
    for x in xs {
        if x > 1 { r = keep(x) } else { r = drop(x) }
    }
    out = total(r)
} else {
    out = drop(base, 0)
}
"""


def test_a_run_time_loop_in_a_branch_carries_the_branch_and_its_body_only_its_own():
    wf = compiled(IN_A_BRANCH)
    (fanout,) = wf.fanouts
    assert fanout.when == (ir.Branch("if-1", 0),)
    assert {s.name: s.when for s in fanout.body} == {"r.if": (ir.Branch("if-2.*", 0),),
                                                     "r.else": (ir.Branch("if-2.*", 1),)}
    assert fanout.decisions[0].name == "if-2.*" and fanout.decisions[0].when == ()
    assert wf.node("out.if").args == (ir.Gathered("r"),)
    assert ir.Workflow.from_json(wf.to_json()) == wf


def test_the_engine_expands_a_loop_in_a_branch_taken_and_skips_one_in_a_branch_not_taken():
    from fuseflow.runtime.bind import bind
    from fuseflow.runtime.conditions import decide
    from fuseflow.runtime.stages import next_stage

    wf = compiled(IN_A_BRANCH.replace("from m import listing, fit, keep, drop, total",
                                      "from examples.ops import add as listing, add as fit, add as keep, "
                                      "minus as drop, add as total"))
    bound = bind(wf, "t.fuse")
    _, _, loops, decisions = next_stage(bound)
    assert loops == [] and [d.name for d in decisions] == ["if-1"]  # the loop waits for its branch
    taken = decide(bound, decisions[0], 0)
    assert taken.fanouts[0].when == () and taken.skipped == ["out.else"]
    assert bound.fanouts[0].when == (ir.Branch("if-1", 0),)  # the bound graph is not changed
    not_taken = decide(bound, decisions[0], 1)
    assert not_taken.fanouts == [] and not_taken.skipped == ["xs", "out.if", "r.if.*", "r.else.*"]
