"""Values the same on every target: imported names in `let` lists and loop items,
multi-name loops, `range`, aliases, and imported names indexed (`TABLE[1]`)."""
from __future__ import annotations

VALUES = """
workflow values
from conformance_steps import inc, double, add, collect, apply, TABLE
import conformance_steps as steps
param log: str = LOG
let ops = [["up", inc, 1], ["twice", double, 2]]
for name, op, x in ops {
    r = apply(log, op, x)              # r.up, r.twice: an imported function per item
}
for i in range(1, 3) {
    s = add(log, i, TABLE[i])          # s.1, s.2: TABLE indexed when the node runs
}
pair = collect(log, r, s)
first = pair[0]                        # an alias: no node
t = add(log, first["up"], steps.TABLE[0])
Inc = inc
u = Inc(log, t)
return pair, u
"""

UNCHANGED = ()


def test_imported_values_loops_and_aliases_give_the_same_run_on_every_target(scenario, target):
    values = scenario("values", VALUES)
    runs = values.play(target, UNCHANGED)
    assert runs == values.reference(UNCHANGED)
    (run,) = runs
    assert run.outputs == {"pair": [{"up": 2, "twice": 4}, {"1": 21, "2": 32}], "u": 13}
    assert sorted(run.calls) == ["add 1 20", "add 2 10", "add 2 30", "apply double 2", "apply inc 1",
                                 "collect 2", "double 2", "inc 1", "inc 12"]
    assert [node for node, _ in run.stored] == ["pair", "r.twice", "r.up", "s.1", "s.2", "t", "u"]
