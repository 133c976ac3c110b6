"""Without `return` every node runs: one inside an `if` branch that nothing reads (a bare call, a name
made for its side effect) runs when its branch is taken, on every target, although it is no output (it
may not run): at the top level, in a static loop, in a run-time loop and in a static loop inside one.
A rerun loads them as every result; another branch taken runs its own."""
from __future__ import annotations

ENDS = """
workflow ends
from conformance_steps import inc, add, upto
param log: str = LOG
param n: int = 2
a = inc(log, n)
if a > 2 {
    inc(log, 100)                       # a bare call nothing reads
    b = add(log, a, 100)
} else {
    c = add(log, a, 200)
}
for k in [1, 2] {
    if a > k { s = add(log, a, k) }     # per iteration
}
numbers = upto(log, n)
for x in numbers {
    if x > 1 { d = add(log, x, 10) }    # per item
    for k in [1, 2] {
        if x >= k { e = add(log, x, k) }  # per item and k
    }
}
last = inc(log, a)
"""


def test_the_nodes_nothing_reads_inside_the_branches_taken_run_on_every_target(scenario, target):
    ends = scenario("ends", ENDS)
    script = ((), (), ("-p", "n=1"))
    runs = ends.play(target, *script)
    assert runs == ends.reference(*script)  # outputs, calls and every result under the same key
    first, again, other = runs
    assert first.outputs == {"last": 4}  # the branches' nodes are no outputs
    assert first.calls == ["add 1 1", "add 2 1", "add 2 10", "add 2 2", "add 3 1", "add 3 100", "add 3 2",
                           "inc 100", "inc 2", "inc 3", "upto 2"]
    assert {"b", "d.1", "e.0.1", "e.1.1", "e.1.2", "inc_1", "s.1", "s.2"} <= {node for node, _ in first.stored}
    assert again.outputs == first.outputs and again.calls == []  # stored: loaded, not run again
    assert other.outputs == {"last": 3}
    assert "add 2 200" in other.calls and "add 3 100" not in other.calls  # the `else` branch's c, now taken


NEEDED = ENDS + """
for x in numbers {                      # a second loop over the same items, whose results are returned
    y = inc(log, x)
    if y > 2 { z = add(log, y, 1000) }  # but its `if` is no output's
}
total = collect(log, y)
return last, total
"""


def test_with_return_the_loops_and_ifs_no_output_needs_are_left_out_on_every_target(scenario, target):
    """Neither expanded nor decided, so what they iterate or test does not run for them (the compiler
    warns that it does not run), nor are their nodes reported skipped: not needed, on every target."""
    text = NEEDED.replace("workflow ends", "workflow needed").replace("inc, add,", "inc, add, collect,")
    needed = scenario("needed", text)
    script = ((), ("-p", "n=3"))
    runs = needed.play(target, *script)
    assert runs == needed.reference(*script)
    first, grown = runs
    assert first.outputs == {"last": 4, "total": [[2, 3]]}
    # a, last, the second loop's items and their inc, total: no branch node, no `if` decided
    assert first.calls == ["collect 1", "inc 1", "inc 2", "inc 3", "upto 2"]
    assert [node for node, _ in first.stored] == ["a", "last", "numbers", "total", "y.0", "y.1"]
    assert grown.calls == ["collect 1", "inc 3", "inc 4", "upto 3"]  # a and last with n=3, the new item

