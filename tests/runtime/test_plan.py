"""Planning: which nodes load, run or stay untouched, worked out backwards
from the outputs; forced nodes; objects replayed whole."""
from __future__ import annotations

from fuseflow.runtime.plan import LOAD, RUN, SKIP, forced_nodes, output_nodes, plan
from fuseflow.targets.local import runtime as rt


def f(*args):
    return args


class Thing:
    def step(self, *args):
        return args


WF = rt.Workflow(name="p", nodes=[
    rt.call("a", f, [1]),
    rt.call("b", f, [rt.ref("a")]),
    rt.call("c", f, [rt.ref("b")]),
    rt.call("unused", f, [rt.ref("a")]),
    rt.obj("t", Thing, []),
    rt.method("t1", "t", "step", [rt.ref("a")]),
    rt.method("t2", "t", "step", []),
    rt.method("t3", "t", "step", [rt.ref("c")]),
    rt.call("out", f, [rt.ref("t3"), rt.struct([rt.ref("c")])]),
], outputs={"out": rt.ref("out"), "t2": rt.ref("t2")})


def states_where(stored: set[str], forced: set[str] = frozenset(), wanted=None):
    return plan(WF, wanted or output_nodes(WF), lambda name: name in stored, forced)


def test_nothing_stored_runs_what_the_outputs_need():
    states = states_where(set())
    assert {n for n, s in states.items() if s == SKIP} == {"unused"}
    assert all(s == RUN for n, s in states.items() if n != "unused")


def test_without_storage_every_needed_node_runs():
    assert plan(WF, ["c"], None) == {"out": SKIP, "t3": SKIP, "t2": SKIP, "t1": SKIP, "t": SKIP,
                                      "unused": SKIP, "c": RUN, "b": RUN, "a": RUN}


def test_fully_stored_loads_only_the_outputs():
    everything = {n.name for n in WF.nodes}
    states = states_where(everything)
    assert {n for n, s in states.items() if s != SKIP} == {"out", "t2"}
    assert states["out"] == LOAD and states["t2"] == LOAD


def test_a_missing_method_result_replays_the_object_and_earlier_calls():
    states = states_where({n.name for n in WF.nodes} - {"t3", "out"})
    assert states["t3"] == RUN and states["t2"] == RUN and states["t1"] == RUN and states["t"] == RUN
    assert states["a"] == LOAD and states["c"] == LOAD  # inputs of replayed calls come from storage
    assert states["b"] == SKIP and states["out"] == RUN


def test_a_stored_consumer_spares_the_whole_object():
    states = states_where({n.name for n in WF.nodes} - {"t3"})
    assert states["out"] == LOAD and states["t2"] == LOAD
    assert {n for n, s in states.items() if s != SKIP} == {"out", "t2"}


def test_forced_nodes_follow_data_and_later_method_calls():
    assert forced_nodes(WF, "b") == {"b", "c", "t3", "out"}
    assert forced_nodes(WF, "t1") == {"t1", "t2", "t3", "out"}
    assert forced_nodes(WF, "t") == {"t", "t1", "t2", "t3", "out"}
    assert forced_nodes(WF, "x") == set()
    assert forced_nodes(WF, None) == set()
    assert forced_nodes(WF, "t.") == {"t1", "t2", "t3", "out"}  # full match: not "t" itself


def test_forced_nodes_run_though_stored():
    everything = {n.name for n in WF.nodes}
    states = states_where(everything, forced_nodes(WF, "c"))
    assert states["c"] == RUN and states["b"] == LOAD and states["a"] == LOAD
    assert states["t3"] == RUN and states["t"] == RUN  # t3 reads c: the object is replayed


def test_output_nodes_in_order():
    wf = rt.Workflow(name="o", nodes=WF.nodes, outputs={"x": rt.struct({"k": rt.ref("b", 0)}), "y": rt.ref("a")})
    assert output_nodes(wf) == ["b", "a"]


def test_topology():
    topo = WF.topology
    names = [n.name for n in WF.nodes]
    assert topo.reads[names.index("out")] == ("t3", "c")
    assert topo.needs[names.index("t3")] == ("c", "t")
    assert topo.previous == {"t1": "t", "t2": "t1", "t3": "t2"}
    assert topo.refs[names.index("b")] == ("a",) and topo.refs[names.index("a")] is None
    assert topo.literals[names.index("a")] is not None and topo.literals[names.index("b")] is None


ORDERED = rt.Workflow(name="o", nodes=[
    rt.call("migrate", f, [1]),
    rt.call("other", f, [2]),
    rt.call("rows", f, [3], after=["migrate"]),
    rt.call("count", f, [rt.ref("rows")], after=["other"]),
], outputs={"count": rt.ref("count")})


def test_after_makes_a_node_needed_for_order_only():
    """`rows = f(3) after migrate`: migrate runs (or loads) before rows, although nothing reads it."""
    assert plan(ORDERED, ["count"], None) == {"count": RUN, "rows": RUN, "other": RUN, "migrate": RUN}
    stored = plan(ORDERED, ["count"], lambda name: name != "count")
    assert stored == {"count": RUN, "rows": LOAD, "other": LOAD, "migrate": SKIP}  # rows is stored: no order
    readers: dict[str, int] = {}
    plan(ORDERED, ["count"], None, readers=readers)
    assert readers == {"rows": 1}  # nobody reads migrate's or other's result: it is freed at once
    assert ORDERED.topology.after == [(), (), ("migrate",), ("other",)]


def test_rerun_of_a_node_forces_what_runs_after_it():
    assert forced_nodes(ORDERED, "migrate") == {"migrate", "rows", "count"}
    assert forced_nodes(ORDERED, "other") == {"other", "count"}
    states = plan(ORDERED, ["count"], lambda name: True, forced_nodes(ORDERED, "migrate"))
    assert states == {"count": RUN, "rows": RUN, "other": LOAD, "migrate": RUN}


def test_after_takes_names_or_families():
    node = rt.call("z", f, [], after=["a", rt.family("w", {"1": rt.ref("w.1"), "2": rt.ref("w.2")}), "a"])
    assert node.after == ("a", "w.1", "w.2")


def test_wanted_nodes_are_the_outputs_nodes_unless_the_workflow_runs_what_nothing_reads():
    from fuseflow.runtime.plan import wanted_nodes

    assert wanted_nodes(WF) == ["out", "t2"]
    # a file without `return`: also every node nothing reads or runs after; objects and the
    # method calls before another on their object aside (they run for it)
    unread = rt.Workflow(name="p", nodes=[*WF.nodes, rt.call("late", f, [], after=["unused"])],
                         outputs={"out": rt.ref("out")}, run_unread=True)
    assert wanted_nodes(unread) == ["out", "late"]
    assert wanted_nodes(rt.Workflow(name="p", nodes=WF.nodes[:4], outputs={}, run_unread=True)) == ["c", "unused"]
