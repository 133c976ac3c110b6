"""`after`: a node runs after others it reads nothing of, on every target. The order shows in
the calls' log: `stamp` writes a marker late, `peek` reads it without a data edge, so a peek
that did not wait sees 0. `--rerun` of a node forces what runs after it."""
from __future__ import annotations

ORDERED = """
workflow ordered
from conformance_steps import stamp, peek, inc
param log: str = LOG
param q: int = 1
done = stamp(log, "db", 1)             # slow: its marker is written a second after it starts
seen = peek(log, "db") after done      # no data edge: it waits for done all the same
for i in [1, 2] {
    m = stamp(log, i, 0.5)
    p = peek(log, i) after m           # the current iteration's m
}
both = peek(log, 1, 2) after m         # every member of the family
peek(log, "db", 1, 2) after seen, both
late = inc(log, q) after peek_1        # needs peek_1 for its order alone: it runs first
return seen, p, both, late
"""

UNCHANGED = ()


def test_after_orders_nodes_without_data_on_every_target(scenario, target):
    ordered = scenario("ordered", ORDERED)
    script = (UNCHANGED, UNCHANGED, ("-p", "q=5"), ("--rerun", "done"))
    runs = ordered.play(target, *script)
    assert runs == ordered.reference(*script)
    first, again, changed, forced = runs
    assert first.outputs == {"seen": [1], "p": {"1": [1], "2": [1]}, "both": [1, 1], "late": 2}
    assert first.calls == ["inc 1", "peek 1=1", "peek 1=1 2=1", "peek 2=1", "peek db=1", "peek db=1 1=1 2=1",
                           "stamp 1 1", "stamp 2 1", "stamp db 1"]
    stored = [node for node, _ in first.stored]
    assert stored == ["both", "done", "late", "m.1", "m.2", "p.1", "p.2", "peek_1", "seen"]
    assert again.outputs == first.outputs and again.calls == []  # stored: nothing runs again
    # late reads q: it runs; what it runs after is stored, loaded, not run again
    assert changed.outputs == {**first.outputs, "late": 6} and changed.calls == ["inc 5"]
    # --rerun done: done runs, and so does every node after it (seen, peek_1, late), each after the one before
    assert forced.outputs == {**first.outputs, "seen": [2]}
    assert forced.calls == ["inc 1", "peek db=2", "peek db=2 1=1 2=1", "stamp db 2"]


FAILING = """
workflow ordered_failing
from conformance_steps import at_most, peek, inc
param log: str = LOG
param limit: int = 0
ok = inc(log, 4)
bad = at_most(log, ok, limit)
later = peek(log, "x") after bad        # never runs: the node it follows failed
return later
"""


def test_a_node_after_a_failed_one_does_not_run(scenario, target):
    failing = scenario("ordered_failing", FAILING)
    script = (UNCHANGED, ("-p", "limit=10"))
    runs = failing.play(target, *script)
    assert runs == failing.reference(*script)
    failed, fixed = runs
    assert failed.status == 1 and failed.failure.startswith("error: node 'bad' failed: ValueError: 5 is more than 0\n")
    assert failed.calls == ["at_most 5", "inc 4"] and [node for node, _ in failed.stored] == ["ok"]
    assert fixed.outputs == {"later": [0]} and fixed.calls == ["at_most 5", "peek x=0"]  # ok is stored: loaded
