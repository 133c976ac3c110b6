"""Shapes of graphs, the same on every target: a diamond (whose results every other
target loads), fan-out and fan-in, an object's methods.

Each test plays a scenario on one target and on the reference target (local)
and asserts identical runs: outputs, the calls the node functions made, and
the cache keys in the store afterwards; then the values expected.
"""
from __future__ import annotations

from conformance_helpers import TARGETS

DIAMOND = """
workflow diamond
from conformance_steps import inc, double, add
param log: str = LOG
param a: int = 1
top = inc(log, a)
left = inc(log, top)
right = double(log, top)
bottom = add(log, left, right)
return bottom
"""

FANS = """
workflow fans
from conformance_steps import inc, add, collect
param log: str = LOG
let xs = [1, 2, 3]
let groups = {"p": 10, "q": 20}
for x in xs {
    sq = inc(log, x)
}
every = collect(log, sq)                # a family used outside its loop
for g, base in groups {
    start = inc(log, base)
    for x in xs {
        cell = add(log, start, x)       # nested loops: cell.p.1 ... cell.q.3
    }
    row = collect(log, cell)            # this group's cells only
}
grid = collect(log, row, cell)          # every group's
return every, grid
"""

OBJECTS = """
workflow objects
from conformance_steps import Tally, inc
param log: str = LOG
t = Tally(log, 1)
t.add(2)
x = t.add(3)
y = inc(log, x)
t.add(y)
h = t.history()
return x, h
"""

UNCHANGED = ()


def test_diamond_runs_each_node_once_then_loads_everything(scenario, target):
    diamond = scenario("diamond", DIAMOND)
    runs = diamond.play(target, UNCHANGED, UNCHANGED)
    assert runs == diamond.reference(UNCHANGED, UNCHANGED)
    first, again = runs
    assert first.outputs == {"bottom": 7}
    assert first.calls == ["add 3 4", "double 2", "inc 1", "inc 2"]
    assert [node for node, _ in first.stored] == ["bottom", "left", "right", "top"]
    assert again.outputs == first.outputs and again.calls == [] and again.stored == first.stored


def test_a_result_computed_on_one_target_is_loaded_by_every_other(scenario, target, ready):
    diamond = scenario("diamond", DIAMOND)
    runs = diamond.play(target, UNCHANGED, store=f"from-{target}")
    assert runs == diamond.reference(UNCHANGED)
    (computed,) = runs
    for other in TARGETS:
        if other != target:
            (loaded,) = diamond.play(ready(other), UNCHANGED, store=f"from-{target}")
            assert (other, loaded.outputs, loaded.calls, loaded.stored) == (
                other, computed.outputs, [], computed.stored)


def test_fan_out_and_fan_in_over_static_loops(scenario, target):
    fans = scenario("fans", FANS)
    runs = fans.play(target, UNCHANGED)
    assert runs == fans.reference(UNCHANGED)
    (run,) = runs
    cells = {"p": {"1": 12, "2": 13, "3": 14}, "q": {"1": 22, "2": 23, "3": 24}}
    assert run.outputs == {
        "every": [{"1": 2, "2": 3, "3": 4}],
        "grid": [{"p": [cells["p"]], "q": [cells["q"]]}, cells],
    }
    assert len(run.stored) == 15  # 3 sq, every, 2 start, 6 cells, 2 rows, grid


def test_an_object_s_methods_run_on_one_object_in_source_order(scenario, target):
    objects = scenario("objects", OBJECTS)
    runs = objects.play(target, UNCHANGED, ("--rerun", "h"))
    assert runs == objects.reference(UNCHANGED, ("--rerun", "h"))
    first, rerun = runs
    assert first.outputs == {"x": 6, "h": [1, 2, 3, 7]}
    # The rerun builds the object again and replays the calls before h, in order; y is loaded.
    assert rerun.outputs == first.outputs
    assert rerun.calls == ["Tally 1", "Tally.add 2", "Tally.add 3", "Tally.add 7", "Tally.history"]
    assert rerun.stored == first.stored
