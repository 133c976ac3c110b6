"""`use`: another workflow's nodes inlined, the same on every target, their results kept
where a run of that file keeps them, so either file loads what the other stored."""
from __future__ import annotations

import json

from conformance_helpers import fusec

from fuseflow.runtime.storage import open_store

PREP = """
workflow prep
from conformance_steps import inc, double
param log: str
param n: int = 1
param cfg: dict = {"k": 2}
up = inc(log, n)
twice = double(log, cfg["k"])
return up, twice
"""

COMPOSED = """
workflow composed
from conformance_steps import add
use "lib/prep.fuse" as prep
param log: str = LOG
param m: int = 3
first = prep(log=log, n=m)
second = prep(log=log, cfg={"k": 5})
total = add(log, first["up"], second["twice"])
return total
"""


def test_a_used_workflow_runs_inlined_on_every_target_and_shares_its_results(scenario, target):
    composed = scenario("composed", COMPOSED)
    (composed.folder / "lib").mkdir(exist_ok=True)
    (composed.folder / "lib" / "prep.fuse").write_text(PREP, encoding="utf-8")
    runs = composed.play(target, ())
    assert runs == composed.reference(())
    (run,) = runs
    assert run.outputs == {"total": 14}
    assert run.calls == ["add 4 10", "double 5", "inc 3"]  # first.twice and second.up: no output needs them
    assert [node for node, _ in run.stored] == ["total"]
    store = composed.store(target)
    assert sorted(r.node for r in open_store(str(store)).list("prep")) == ["twice", "up"]

    # prep.fuse run on its own with first's params loads `up` from the composed run
    log = json.dumps(str(composed.log))
    status, out, err = fusec("run", str(composed.folder / "lib" / "prep.fuse"), "--json", "--storage", str(store),
                             "-p", f"log={json.loads(log)}", "-p", "n=3")
    assert status == 0, err
    assert json.loads(out) == {"up": 4, "twice": 4}
    assert composed.take_calls() == ["double 2"]


PART = """
workflow part
from conformance_steps import inc, double, add
param log: str
param x: int = 1
a = double(log, x)
if a > 4 {                                # the used file's own `if`, inside the caller's branch
    b = inc(log, a)
} else {
    b = add(log, a, 100)
}
return b
"""

DECIDING = """
workflow deciding_use
from conformance_steps import add
use "lib/part.fuse" as part
param log: str = LOG
param x: int = 3
param go: bool = true
if go {
    p = part(log=log, x=x)                # its nodes and its `if` run only in this branch
    out = add(log, p["b"], 0)
} else {
    out = add(log, x, 1000)
}
return out
"""


def test_a_used_workflow_called_in_an_if_branch_runs_only_when_it_is_taken_on_every_target(scenario, target):
    deciding = scenario("deciding_use", DECIDING)
    (deciding.folder / "lib").mkdir(exist_ok=True)
    (deciding.folder / "lib" / "part.fuse").write_text(PART, encoding="utf-8")
    script = ((), ("-p", "go=false"), ("-p", "x=1"))
    runs = deciding.play(target, *script)
    assert runs == deciding.reference(*script)
    taken, other, small = runs
    assert taken.outputs == {"out": 7} and taken.calls == ["add 7 0", "double 3", "inc 6"]
    assert other.outputs == {"out": 1003} and other.calls == ["add 3 1000"]  # the call's nodes never run
    assert small.outputs == {"out": 102} and small.calls == ["add 102 0", "add 2 100", "double 1"]
