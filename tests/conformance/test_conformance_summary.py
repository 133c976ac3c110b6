"""`fusec run --json --summary` on every target: the same skipped nodes and the same decisions, the
nodes that ran counted as computed, a rerun's as loaded; `--json` alone as it always was."""
from __future__ import annotations

import json
import shutil

from conformance_helpers import HERE, Scenario, fusec

EXAMPLES = HERE.parents[1] / "examples"

SUMMARIZED = """
workflow summarized
from conformance_steps import inc, double, add
param log: str = LOG
param n: int = 2
a = inc(log, n)                           # 3
if a >= 5 {
    big = double(log, a)
    chosen = inc(log, big)
} elif a == 3 {
    chosen = add(log, a, 100)
} else {
    chosen = double(log, a)
}
for k in [1, 2] {
    if k == 2 {
        part = add(log, chosen, k)
    } else {
        part = inc(log, k)
    }
}
return chosen, part
"""

SKIPPED = ["big", "chosen.if", "chosen.else", "part.if.1", "part.else.2"]
DECISIONS = {"if-1": "elif1", "if-2.1": "else", "if-2.2": "if"}


def summarized(scenario: Scenario, target: str, store: str, *args: str) -> tuple[dict, dict, list[str]]:
    """(outputs, summary, the calls made) of `fusec run --json --summary` on `target`."""
    status, out, err = fusec("run", str(scenario.fuse), "--target", target, "--json", "--summary",
                             "--storage", str(scenario.store(store)), *args)
    assert status == 0, err
    printed = json.loads(out)
    assert list(printed) == ["outputs", "summary"], out
    return printed["outputs"], printed["summary"], scenario.take_calls()


def test_the_summary_names_the_same_skipped_nodes_and_decisions_on_every_target(scenario, target):
    flow = scenario("summarized", SUMMARIZED)
    flow.forget_calls()
    outputs, first, calls = summarized(flow, target, f"summary-{target}")
    assert outputs == {"chosen": 103, "part": {"1": 2, "2": 105}}
    assert (first["skipped"], first["decisions"]) == (SKIPPED, DECISIONS)
    assert first["nodes"] == {"computed": len(calls), "loaded": 0, "skipped": len(SKIPPED)}  # 4: a, chosen, parts
    again, stored, calls = summarized(flow, target, f"summary-{target}")
    assert (again, calls) == (outputs, [])
    assert stored["nodes"]["computed"] == 0 and stored["nodes"]["loaded"] > 0  # what each target loads, its own
    assert (stored["skipped"], stored["decisions"]) == (SKIPPED, DECISIONS)  # a stored decision is made again
    other, taken, _ = summarized(flow, target, f"summary-{target}", "-p", "n=4")  # a == 5: the if
    assert other == {"chosen": 11, "part": {"1": 2, "2": 13}}
    assert taken["decisions"] == {**DECISIONS, "if-1": "if"}
    assert taken["skipped"] == ["chosen.elif1", "chosen.else", "part.if.1", "part.else.2"]
    assert taken["nodes"]["loaded"] > 0  # a's, and part.else.1's


def test_json_without_summary_prints_the_outputs_alone_on_every_target(scenario, target):
    flow = scenario("summarized", SUMMARIZED)
    run = flow.run(target, flow.store(f"plain-{target}"), ())
    assert (run.status, run.outputs) == (0, {"chosen": 103, "part": {"1": 2, "2": 105}})


def test_the_shards_example_s_summary_is_the_same_on_every_target(scenario, target):
    shards = scenario("shards_summary", (EXAMPLES / "shards.fuse").read_text(encoding="utf-8"))
    shutil.copy(EXAMPLES / "shards.py", shards.folder / "shards.py")
    _, promoted, _ = summarized(shards, target, f"summary-{target}")
    assert (promoted["skipped"], promoted["decisions"]) == (["released.else"], {"if-1": "if"})
    assert promoted["nodes"] == {"computed": 1 + 2 * 4 + 1 + 1 + 1, "loaded": 0, "skipped": 1}  # names, a model
    # and a score per shard, best, released.if, and notify in `finally`
    _, held, _ = summarized(shards, target, f"summary-{target}", "-p", "threshold=0.999")
    assert (held["skipped"], held["decisions"]) == (["released.if"], {"if-1": "else"})
    assert held["nodes"]["computed"] == 2  # released.else and notify: the rest is stored


PER_ITEM = """
workflow per_item
from conformance_steps import inc, add
param log: str = LOG
param sizes: list = [3, 5, 8, 1]
for size in sizes {                       # a run-time loop: an `if` per item, named after it
    if size > 4 {
        kept = add(log, size, 100)
    } else {
        kept = inc(log, size)
    }
}
return kept
"""


def test_the_ifs_of_a_run_time_loop_s_items_are_summarized_alike_on_every_target(scenario, target):
    flow = scenario("per_item", PER_ITEM)
    outputs, summary, _ = summarized(flow, target, f"summary-{target}")
    assert outputs == {"kept": [4, 105, 108, 2]}
    # by name, numbers by value, whatever order the target made the items' decisions in
    assert summary["skipped"] == ["kept.else.1", "kept.else.2", "kept.if.0", "kept.if.3"]
    assert summary["decisions"] == {"if-1.0": "else", "if-1.1": "if", "if-1.2": "if", "if-1.3": "else"}


UNNEEDED = """
workflow unneeded
from conformance_steps import inc, add, upto
param log: str = LOG
numbers = upto(log, 2)
for x in numbers {
    if x > 1 { r = add(log, x, 10) } else { r = inc(log, x) }   # returned: the loop and its `if`s are needed
}
others = upto(log, 3)
for y in others {                                  # no output needs it: not expanded, `others` does not run
    z = add(log, y, 500)
}
a = inc(log, 7)
if a > 1 { b = add(log, a, 1) }                    # no output needs it: not decided, b neither run nor skipped
return r
"""


def test_what_no_returned_output_needs_is_neither_run_nor_skipped_on_every_target(scenario, target):
    flow = scenario("unneeded", UNNEEDED)
    flow.forget_calls()
    outputs, summary, calls = summarized(flow, target, f"summary-{target}")
    assert outputs == {"r": [2, 12]}
    assert calls == ["add 2 10", "inc 1", "upto 2"]
    assert summary == {"nodes": {"computed": 3, "loaded": 0, "skipped": 2}, "skipped": ["r.else.1", "r.if.0"],
                       "decisions": {"if-1.0": "else", "if-1.1": "if"}}
