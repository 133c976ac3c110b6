"""`finally`, the same on every target: its calls run after the rest, on success and on failure,
reading run_status, never stored; the rest's failure stays the run's outcome."""
from __future__ import annotations

CLOSING = """
workflow closing
from conformance_steps import inc, at_most, note
param log: str = LOG
param n: int = 1
a = inc(log, n)
b = at_most(log, a, 3)                   # fails when n > 2
finally {
    note(log, run_status["state"])
}
return b
"""


def test_finally_runs_after_the_rest_on_every_target(scenario, target):
    closing = scenario("closing", CLOSING)
    script = ((), (), ("-p", "n=5"))
    runs = closing.play(target, *script)
    assert runs == closing.reference(*script)
    first, again, failed = runs
    assert first.outputs == {"b": 2} and first.calls == ["at_most 2", "inc 1", "succeeded"]
    assert again.outputs == {"b": 2} and again.calls == ["succeeded"]  # the rest stored; finally runs again
    assert failed.status == 1 and failed.outputs is None
    assert failed.calls == ["at_most 6", "failed", "inc 5"]
    assert "node 'b' failed" in failed.failure
    assert [node for node, _ in failed.stored] == ["a", "a", "b"]  # finally's result is never stored


CLOSINGS = """
workflow closings
from conformance_steps import inc, at_most, note, add
param log: str = LOG
param n: int = 1
a = inc(log, n)
b = at_most(log, a, 3)                   # fails when n > 2
finally {
    told = add(log, run_status["state"], "!")
    note(log, told)                      # reads another call of finally
    add(log, run_status["failed"], [])
    at_most(log, n, 1)                   # fails when n > 1
}
return b
"""


def test_several_finally_calls_reading_each_other_and_failing_on_every_target(scenario, target):
    """Several calls (KFP: one exit step running them through the engine, docs/kfp.md), one
    reading another, run_status's failed nodes, and a failure in `finally` after a success (the
    run's error) and after a failure (a warning: the rest's error stays the run's)."""
    closings = scenario("closings", CLOSINGS)
    script = ((), ("-p", "n=2"), ("-p", "n=5"))
    runs = closings.play(target, *script)
    assert runs == closings.reference(*script)
    done, closing_failed, both_failed = runs
    assert done.outputs == {"b": 2}
    assert done.calls == ["add [] []", "add succeeded !", "at_most 1", "at_most 2", "inc 1", "succeeded!"]
    assert closing_failed.status == 1 and closing_failed.outputs is None
    assert "node 'at_most_1' failed" in closing_failed.failure and "2 is more than 1" in closing_failed.failure
    assert "succeeded!" in closing_failed.calls  # the rest succeeded: run_status says so
    assert both_failed.status == 1 and "node 'b' failed" in both_failed.failure
    assert "add [{'node': 'b', 'error': 'ValueError: 6 is more than 3'}] []" in both_failed.calls
    assert "failed!" in both_failed.calls and "at_most 5" in both_failed.calls
