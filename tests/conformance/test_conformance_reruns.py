"""Reruns, the same on every target: after a failure, after a param change or --rerun.

Each test plays a scenario on one target and on the reference target (local)
and asserts identical runs (outputs, failure report, calls, stored cache keys),
then the values expected.
"""
from __future__ import annotations

FAILING = """
workflow failing
from conformance_steps import inc, add, at_most
param log: str = LOG
param limit: int = 0
a = inc(log, 1)
side = inc(log, 10)
both = add(log, a, side)
checked = at_most(log, both, limit)
last = inc(log, checked)
return last
"""

PARTIAL = """
workflow partial
from conformance_steps import inc, double, collect
param log: str = LOG
param q: int = 2
for p in [1, 2] {
    a = inc(log, p)
}
b = double(log, q)
d = collect(log, a, b)
return d
"""

UNCHANGED = ()


def test_a_failed_node_stops_the_run_and_the_fixed_rerun_runs_only_what_is_missing(scenario, target):
    failing = scenario("failing", FAILING)
    runs = failing.play(target, UNCHANGED, ("-p", "limit=20"))
    assert runs == failing.reference(UNCHANGED, ("-p", "limit=20"))
    failed, fixed = runs
    assert failed.status == 1 and failed.outputs is None
    assert failed.failure.startswith("error: node 'checked' failed: ValueError: 13 is more than 0\n")
    assert failed.failure.splitlines()[-2] == "ValueError: 13 is more than 0"  # the user's traceback
    assert [node for node, _ in failed.stored] == ["a", "both", "side"]  # what finished before the failure
    assert fixed.outputs == {"last": 14}
    assert fixed.calls == ["at_most 13", "inc 13"]  # `both` is loaded; a and side are not even read


def test_a_param_change_runs_only_what_reads_it_and_rerun_forces_a_node_and_what_follows(scenario, target):
    partial = scenario("partial", PARTIAL)
    script = (UNCHANGED, ("-p", "q=5"), ("-p", "q=5", "--rerun", r"a\.1"))
    runs = partial.play(target, *script)
    assert runs == partial.reference(*script)
    first, changed, forced = runs
    assert first.outputs == {"d": [{"1": 2, "2": 3}, 4]}
    assert first.calls == ["collect 2", "double 2", "inc 1", "inc 2"]
    assert changed.outputs == {"d": [{"1": 2, "2": 3}, 10]}
    assert changed.calls == ["collect 2", "double 5"]  # b and d read q; the a family does not
    assert forced.outputs == changed.outputs
    assert forced.calls == ["collect 2", "inc 1"]  # the node the regex matches and what depends on it
    assert len(forced.stored) == 6  # both values of q are kept: a.1, a.2, b (twice), d (twice)
