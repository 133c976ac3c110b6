"""`if` / `elif` / `else`, the same on every target: the branch taken runs, the others never do,
the name every branch assigns holds the taken branch's result with the key of that node, a
rerun with another param takes another branch and loads what is stored."""
from __future__ import annotations

DECIDING = """
workflow deciding
from conformance_steps import inc, double, add, upto
param log: str = LOG
param n: int = 2
param quiet: bool = false
a = inc(log, n)                           # 3
if a >= 5 and not quiet {
    big = double(log, a)
    chosen = inc(log, big)
} elif a == 3 or (quiet and a > 4) {
    chosen = add(log, a, 100)
} else {
    chosen = double(log, a)
}
for k in [1, 2] {                         # an `if` per iteration of a static loop
    if k == 2 {
        part = add(log, chosen, k)
    } else {
        part = inc(log, k)
    }
}
last = add(log, chosen, 0)
return last, part
"""


def test_an_if_runs_the_branch_taken_on_every_target(scenario, target):
    deciding = scenario("deciding", DECIDING)
    script = ((), ("-p", "n=4"), ("-p", "n=2"), ("-p", "n=4", "-p", "quiet=true"))
    runs = deciding.play(target, *script)
    assert runs == deciding.reference(*script)
    first, other, back, quiet = runs
    assert first.outputs == {"last": 103, "part": {"1": 2, "2": 105}}
    assert first.calls == ["add 103 0", "add 103 2", "add 3 100", "inc 1", "inc 2"]
    assert other.outputs == {"last": 11, "part": {"1": 2, "2": 13}}
    assert other.calls == ["add 11 0", "add 11 2", "double 5", "inc 10", "inc 4"]  # inc 1: stored
    assert back.outputs == first.outputs and back.calls == []  # the first branch's results are stored
    assert quiet.outputs == {"last": 105, "part": {"1": 2, "2": 107}}  # quiet and a > 4: the elif
    assert quiet.calls == ["add 105 0", "add 105 2", "add 5 100"]


NESTED = """
workflow nested
from conformance_steps import inc, add
param log: str = LOG
param n: int = 3
for k in [1, 2, 3] {
    v = add(log, k, n)
    if v > 4 {                            # an `if` inside a branch of another
        if k == 3 {
            w = add(log, v, 100)
        } else {
            w = add(log, v, 10)
        }
        r = inc(log, w)
    } else {
        r = add(log, v, 0)
    }
}
return r
"""


def test_nested_ifs_in_a_static_loop_on_every_target(scenario, target):
    nested = scenario("nested", NESTED)
    runs = nested.play(target, (), ("-p", "n=1"))
    assert runs == nested.reference((), ("-p", "n=1"))
    first, low = runs
    assert first.outputs == {"r": {"1": 4, "2": 16, "3": 107}}
    assert first.calls == ["add 1 3", "add 2 3", "add 3 3", "add 4 0", "add 5 10", "add 6 100", "inc 106", "inc 15"]
    assert low.outputs == {"r": {"1": 2, "2": 3, "3": 4}}  # no v > 4: the outer else everywhere
    assert low.calls == ["add 1 1", "add 2 0", "add 2 1", "add 3 0", "add 3 1", "add 4 0"]


IN_A_LOOP = """
workflow item_ifs
from conformance_steps import inc, double, add, collect, upto
param log: str = LOG
param n: int = 4
param limit: int = 4
numbers = upto(log, n)                    # [1, ..., n]: known when the workflow runs
for x in numbers {
    d = double(log, x)
    if d > limit {                        # decided per item: if-1.0, if-1.1, ...
        if x == 4 {                       # nested, per item too
            base = add(log, d, 1000)
        } else {
            base = add(log, d, 0)
        }
        r = inc(log, base)
    } elif x == 1 {
        r = add(log, x, 100)
    } else {
        r = double(log, d)
    }
}
every = collect(log, r)                   # the taken branches' results, in item order
return every, r
"""


def test_an_if_in_a_run_time_loop_decides_per_item_on_every_target(scenario, target):
    deciding = scenario("item_ifs", IN_A_LOOP)
    script = ((), ("-p", "limit=10"), ("-p", "n=5"))
    runs = deciding.play(target, *script)
    assert runs == deciding.reference(*script)
    first, higher, grown = runs
    assert first.outputs == {"every": [[101, 8, 7, 1009]], "r": [101, 8, 7, 1009]}
    # double(log, 4) is item 4's d and item 2's r (its else): one key, one call
    assert first.calls == ["add 1 100", "add 6 0", "add 8 1000", "collect 1", "double 1", "double 2", "double 3",
                           "double 4", "inc 1008", "inc 6", "upto 4"]
    assert higher.outputs == {"every": [[101, 8, 12, 16]], "r": [101, 8, 12, 16]}
    assert higher.calls == ["collect 1", "double 6", "double 8"]  # the rest is stored
    assert grown.outputs == {"every": [[101, 8, 7, 1009, 11]], "r": [101, 8, 7, 1009, 11]}
    assert grown.calls == ["add 10 0", "collect 1", "double 5", "inc 10", "upto 5"]  # the new item only


IN_A_STATIC_LOOP = """
workflow inner_ifs
from conformance_steps import double, add, collect, upto
param log: str = LOG
param n: int = 3
param limit: int = 4
numbers = upto(log, n)
for x in numbers {
    d = double(log, x)
    for k in [1, 3] {
        if d > limit and k == 1 {         # per item and k: if-1.0.1, if-1.0.3, if-1.1.1, ...
            r = add(log, d, k)
        } else {
            r = double(log, d)
        }
        s = add(log, r, 100)              # the branch taken's r, in its iteration
    }
    t = collect(log, s)                   # the static loop's family, per item
}
every = collect(log, t)
return every, s
"""


def test_an_if_in_a_static_loop_of_a_run_time_loop_decides_per_item_and_iteration_on_every_target(scenario, target):
    deciding = scenario("inner_ifs", IN_A_STATIC_LOOP)
    script = ((), ("-p", "limit=1"), ("-p", "n=4"))
    runs = deciding.play(target, *script)
    assert runs == deciding.reference(*script)
    first, lower, grown = runs
    s = [{"1": 104, "3": 104}, {"1": 108, "3": 108}, {"1": 107, "3": 112}]
    assert first.outputs == {"every": [[[s[0]], [s[1]], [s[2]]]], "s": s}
    assert first.calls == ["add 12 100", "add 4 100", "add 6 1", "add 7 100", "add 8 100", "collect 1", "double 1",
                           "double 2", "double 3", "double 4", "double 6", "upto 3"]
    s[:2] = [{"1": 103, "3": 104}, {"1": 105, "3": 108}]  # k == 1 takes the `if` for items 0 and 1 too
    assert lower.outputs == {"every": [[[s[0]], [s[1]], [s[2]]]], "s": s}
    assert lower.calls == ["add 2 1", "add 3 100", "add 4 1", "add 5 100", "collect 1"]  # the rest is stored
    assert grown.outputs["s"][3] == {"1": 109, "3": 116}
    assert grown.calls == ["add 16 100", "add 8 1", "add 9 100", "collect 1", "double 4", "double 8", "upto 4"]


IN_A_BRANCH = """
workflow loop_in_branch
from conformance_steps import inc, double, add, collect, upto
param log: str = LOG
param n: int = 3
param wide: bool = true
a = inc(log, n)
if wide and a > 2 {
    numbers = upto(log, n)                # made, and looped over, only when the branch is taken
    for x in numbers {
        d = double(log, x)
        if d >= 4 {
            r = add(log, d, 100)
        } else {
            r = inc(log, d)
        }
    }
    result = collect(log, r)
} else {
    result = add(log, a, 0)
}
return result
"""


def test_a_run_time_loop_in_an_if_expands_only_in_the_branch_taken_on_every_target(scenario, target):
    deciding = scenario("loop_in_branch", IN_A_BRANCH)
    script = ((), ("-p", "wide=false"), ("-p", "n=4"))
    runs = deciding.play(target, *script)
    assert runs == deciding.reference(*script)
    wide, narrow, grown = runs
    assert wide.outputs == {"result": [[3, 104, 106]]}
    assert wide.calls == ["add 4 100", "add 6 100", "collect 1", "double 1", "double 2", "double 3", "inc 2",
                          "inc 3", "upto 3"]
    assert narrow.outputs == {"result": 4} and narrow.calls == ["add 4 0"]  # the loop never expands
    assert grown.outputs == {"result": [[3, 104, 106, 108]]}
    assert grown.calls == ["add 8 100", "collect 1", "double 4", "inc 4", "upto 4"]


NESTED_MERGE = """
workflow nested_merge
from conformance_steps import inc, double, add
param log: str = LOG
param n: int = 3
param up: bool = true
a = inc(log, n)
if a > 3 {
    if up {                               # k: every branch of this `if` assigns it...
        k = add(log, a, 100)
    } else {
        k = double(log, a)
    }
} else {
    k = add(log, a, 0)                    # ...and the outer `else`: k is usable after the outer `if`
}
last = inc(log, k)
return last, k
"""


def test_a_name_assigned_through_the_if_of_a_branch_holds_the_branch_taken_on_every_target(scenario, target):
    nested = scenario("nested_merge", NESTED_MERGE)
    script = ((), ("-p", "up=false"), ("-p", "n=1"))
    runs = nested.play(target, *script)
    assert runs == nested.reference(*script)
    first, down, small = runs
    assert first.outputs == {"last": 105, "k": 104} and first.calls == ["add 4 100", "inc 104", "inc 3"]
    assert down.outputs == {"last": 9, "k": 8} and down.calls == ["double 4", "inc 8"]
    assert small.outputs == {"last": 3, "k": 2} and small.calls == ["add 2 0", "inc 1", "inc 2"]
