"""An `if` inside a run-time loop on Prefect: the generated flow file decides per item in the body
of its Python loop (`branch = run.decide(f"if-1.{x_key}")`, a Python `if`), each node of the branch
taken is a task run named after it, each node of a branch not taken a task run in state Skipped;
the taken branches' results gathered after the loop, and reloaded by a rerun."""
from __future__ import annotations

import pytest
from prefect_helpers import run_state, task_runs

pytestmark = pytest.mark.prefect

ITEMS = '''
from steps import CALLS


def upto(n):
    CALLS.append(f"upto {n}")
    return list(range(1, n + 1))


def collect(*parts):
    CALLS.append("collect")
    return list(parts)
'''

FLOW = """
    workflow item_ifs
    from steps import inc, add
    from items import upto, collect

    param n: int = 3

    numbers = upto(n)
    for x in numbers {
        up = inc(x)
        if up >= 3 {
            kept = add(up, 100)
        } else {
            kept = add(up, -100)
        }
    }
    every = collect(kept)
    return every
"""


def states(runs: dict) -> dict[str, str]:
    return {name: run.state.name for name, run in runs.items()}


def test_each_item_decides_in_the_flow_body_and_shows_the_branches_not_taken_skipped(project):
    project.write("items.py", ITEMS)
    module = project.flow(FLOW)
    text = (project.root / "wf_flow.py").read_text(encoding="utf-8")
    assert 'branch_if_1 = run.decide(f"if-1.{x_key}")' in text
    assert "if branch_if_1 == 0:  # up >= 3" in text and 'task_run_name=f"kept.else.{x_key}"' in text

    first = run_state(module.item_ifs)
    assert first.result() == {"every": [[-98, 103, 104]]}
    assert sorted(project.calls()) == ["add 2 -100", "add 3 100", "add 4 100", "collect", "inc 1", "inc 2", "inc 3",
                                       "upto 3"]
    assert states(task_runs(first, 11)) == {
        "numbers": "Completed", "up.0": "Completed", "up.1": "Completed", "up.2": "Completed",
        "kept.else.0": "Completed", "kept.if.1": "Completed", "kept.if.2": "Completed", "every": "Completed",
        "kept.if.0": "Skipped", "kept.else.1": "Skipped", "kept.else.2": "Skipped"}

    grown = run_state(module.item_ifs, n=4)  # a new item decides; the others' taken branches load
    assert grown.result() == {"every": [[-98, 103, 104, 105]]}
    assert sorted(project.calls()) == ["add 5 100", "collect", "inc 4", "upto 4"]
