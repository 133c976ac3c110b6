"""Run-time loops, the same on every target: one iteration per item of a node's result, the
family gathered in item order, a grown list running the new items only, identical keys."""
from __future__ import annotations

FANOUT = """
workflow fanout
from conformance_steps import inc, double, collect, upto
param log: str = LOG
param n: int = 3
numbers = upto(log, n)                   # [1, ..., n]: a list known when the workflow runs
for x in numbers {
    up = inc(log, x)                     # up.0, up.1, up.2
    twice = double(log, up)
}
every = collect(log, twice)              # in item order
first = inc(log, twice[0])
return every, first
"""


def test_a_run_time_loop_runs_once_per_item_on_every_target(scenario, target):
    fanout = scenario("fanout", FANOUT)
    runs = fanout.play(target, (), ("-p", "n=4"))
    assert runs == fanout.reference((), ("-p", "n=4"))
    first, grown = runs
    assert first.outputs == {"every": [[4, 6, 8]], "first": 5}
    assert first.calls == ["collect 1", "double 2", "double 3", "double 4", "inc 1", "inc 2", "inc 3", "inc 4",
                           "upto 3"]
    assert grown.outputs == {"every": [[4, 6, 8, 10]], "first": 5}
    assert grown.calls == ["collect 1", "double 5", "inc 4", "upto 4"]  # the new item only, and what reads all
