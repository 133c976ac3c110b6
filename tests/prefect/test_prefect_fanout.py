"""Run-time loops on Prefect: a task run per item, named after its node, as the Prefect API records
them; the local target's outputs, calls and keys; options selected by the names the nodes get;
a loop over what is no list, and a failing iterable, stop the flow run naming them."""
from __future__ import annotations

import json

import pytest
from prefect_helpers import run_state, task_runs

from fuseflow.cli import main as fusec
from fuseflow.runtime.fanout import LoopFailed
from fuseflow.runtime.invoke import NodeFailed
from fuseflow.runtime.storage import open_store
from fuseflow.targets.prefect import backend as rt

pytestmark = pytest.mark.prefect

ITEMS = '''
from steps import CALLS


def upto(n):
    CALLS.append(f"upto {n}")
    return list(range(1, n + 1))


def collect(*parts):
    CALLS.append("collect")
    return list(parts)


def sizes(n):
    CALLS.append(f"sizes {n}")
    return {"small": n, "large": 10 * n}
'''

FAN = """
    workflow fan
    from steps import inc, add
    from items import upto, collect

    param n: int = 3

    numbers = upto(n)
    for x in numbers {
        up = inc(x)
        twice = add(up, up)
    }
    every = collect(twice)
    first = inc(twice[0])
    return every, first
"""


def states(runs: dict) -> dict[str, str]:
    return {name: run.state.name for name, run in runs.items()}


@pytest.fixture
def items(project):
    project.write("items.py", ITEMS)
    return project


def test_a_run_time_loop_is_a_task_run_per_item_named_after_its_node(items):
    module = items.flow(FAN)
    text = (items.root / "wf_flow.py").read_text(encoding="utf-8")
    assert 'for x_key, x in rt.items(run.expand("up", numbers)):' in text  # a Python loop over the items
    assert 'task_run_name=f"up.{x_key}"' in text and 'run.gathered("twice", 0)' in text

    first = run_state(module.fan)
    assert first.result() == {"every": [[4, 6, 8]], "first": 5}
    assert sorted(items.calls()) == ["add 2 2", "add 3 3", "add 4 4", "collect", "inc 1", "inc 2", "inc 3",
                                     "inc 4", "upto 3"]
    names = ["numbers", "up.0", "up.1", "up.2", "twice.0", "twice.1", "twice.2", "every", "first"]
    assert states(task_runs(first, 9)) == dict.fromkeys(names, "Completed")

    grown = run_state(module.fan, n=4)  # a new item: its nodes run, the others' results are loaded
    assert grown.result() == {"every": [[4, 6, 8, 10]], "first": 5}
    assert sorted(items.calls()) == ["add 5 5", "collect", "inc 4", "upto 4"]
    assert states(task_runs(grown, 8)) == {
        "numbers": "Completed", "up.3": "Completed", "twice.3": "Completed", "every": "Completed",
        "twice.0": "Cached", "twice.1": "Cached", "twice.2": "Cached", "first": "Cached"}

    again = run_state(module.fan, n=4)  # unchanged: what the loop iterates and the outputs, loaded
    assert again.result() == {"every": [[4, 6, 8, 10]], "first": 5}
    assert items.calls() == []
    assert states(task_runs(again, 3)) == dict.fromkeys(["numbers", "every", "first"], "Cached")


FORMS = """
    workflow forms
    from steps import inc, add, pair
    from items import upto, collect, sizes

    param n: int = 2
    param extra: list = [7, 8]

    base = inc(10)
    numbers = upto(n)
    for x in numbers {
        up = add(x, base)                  # a node outside the loop, read by every item
        for k in [1, 2] {
            cell = add(up, k)              # a static loop inside
        }
        both = collect(cell)               # the item's family
    }
    table = sizes(n)
    for name, size in table {              # over a dict, two names: keyed by its keys
        scaled = add(size, base)
    }
    for e in extra {                       # over a param
        more = inc(e)
    }
    for ds in ["a", "b"] {                 # in each iteration of a static loop
        tag = pair(ds, n)
        for x in numbers {
            tagged = pair(tag["a"], x)
        }
    }
    total = collect(up, scaled, more[1], tagged)
    return total, both, cell, scaled
"""


def fusec_json(*args: str, capsys) -> dict:
    assert fusec([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def stored(store) -> list[tuple[str, str]]:
    return sorted((result.node, result.key) for result in open_store(str(store)).list("forms"))


def test_every_form_gives_the_local_targets_outputs_calls_and_keys(items, capsys):
    path = items.write("wf.fuse", FORMS)
    local = fusec_json("run", str(path), "--storage", str(items.root / "local"), capsys=capsys)
    local_calls = sorted(items.calls())
    assert local["total"][3]["b"][1] == {"a": "b", "b": 2, "both": ["b", 2]}  # tagged: a list per static key

    prefect = fusec_json("run", str(path), "--target", "prefect", "--storage", str(items.root / "run"), capsys=capsys)
    assert (prefect, sorted(items.calls())) == (local, local_calls)
    module = items.flow(path)
    with rt.using(storage=str(items.root / "file")):
        assert json.loads(json.dumps(module.forms())) == local  # the flow file (dict keys as JSON has them)
    assert sorted(items.calls()) == local_calls
    assert stored(items.root / "run") == stored(items.root / "file") == stored(items.root / "local")

    grown = fusec_json("run", str(path), "-p", "n=3", "--storage", str(items.root / "local"), capsys=capsys)
    grown_calls = sorted(items.calls())
    with rt.using(storage=str(items.root / "file")):
        assert json.loads(json.dumps(module.forms(n=3))) == grown
    assert sorted(items.calls()) == grown_calls


HELD = """
    workflow held
    from steps import inc, add
    from items import upto, collect

    param n: int = 2

    base = inc(10)                 # only the loop's items read it
    numbers = upto(n)
    for x in numbers {
        up = add(x, base)
    }
    every = collect(up)
"""


def test_a_node_only_the_loop_reads_runs_only_if_the_items_need_it(items):
    flow = items.flow(HELD).held
    assert flow() == {"every": [[12, 13]]}
    assert sorted(items.calls()) == ["add 1 11", "add 2 11", "collect", "inc 10", "upto 2"]

    again = run_state(flow)
    assert again.result() == {"every": [[12, 13]]}
    assert items.calls() == []
    assert states(task_runs(again, 2)) == {"numbers": "Cached", "every": "Cached"}  # base is not even submitted

    grown = run_state(flow, n=3)
    assert grown.result() == {"every": [[12, 13, 14]]}
    assert sorted(items.calls()) == ["add 3 11", "collect", "upto 3"]
    assert states(task_runs(grown, 6)) == {"numbers": "Completed", "base": "Cached", "up.0": "Cached",
                                           "up.1": "Cached", "up.2": "Completed", "every": "Completed"}


OPTIONS = """
    workflow opts
    from steps import flaky
    from items import upto, collect

    numbers = upto(2)
    for x in numbers {
        up = flaky(x)
    }
    every = collect(up)
    options {
        "up\\\\..*": { retries: 1 }
    }
    options prefect {
        "up\\\\.1": { tags: ["second"], version: "2" }
    }
"""


def test_options_select_a_loops_nodes_by_the_names_they_get(items):
    flow = items.flow(OPTIONS).opts
    items.steps.FLAKY["flaky"] = 1  # one attempt of one item fails; its retry succeeds
    state = run_state(flow)
    assert state.result() == {"every": [[10, 20]]}
    runs = task_runs(state, 4)
    assert sorted(run.run_count for name, run in runs.items() if name.startswith("up.")) == [1, 2]
    assert (runs["up.0"].tags, runs["up.1"].tags) == ([], ["second"])
    assert (runs["up.0"].task_version, runs["up.1"].task_version) == (None, "2")


def test_a_loop_over_what_is_no_list_or_dict_stops_the_run_naming_it(items, capsys):
    module = items.flow(FAN.replace("numbers = upto(n)", "numbers = inc(n)"))
    with pytest.raises(LoopFailed, match="the run-time loop over numbers needs a list or a dict; numbers is int"):
        module.fan()
    assert rt.main(module.WORKFLOW, module.fan, []) == 1
    assert "error: the run-time loop over numbers needs a list or a dict; numbers is int" in capsys.readouterr().err


def test_a_failing_iterable_fails_the_flow_run_naming_its_node(items):
    flow = items.flow(FAN.replace("numbers = upto(n)", "numbers = fail_on(n, 3)")
                      .replace("from steps import inc, add", "from steps import inc, add, fail_on")).fan
    state = run_state(flow)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, NodeFailed) and error.node == "numbers" and "refusing 3" in str(error)


def test_a_loop_under_the_process_task_runner(items):
    """Each node runs in a worker process, those the loop makes as it expands too."""
    from prefect_helpers import import_file

    text = FAN + '\n    options prefect { workflow: { task_runner: "processes", max_workers: 2 } }\n'
    out = items.root / "fan_procs_flow.py"
    assert fusec(["compile", str(items.write("wf.fuse", text)), "--target", "prefect", "-o", str(out)]) == 0
    module = import_file(out, "fan_procs_flow")  # importable by that name in the workers, too
    assert module.fan(n=2) == {"every": [[4, 6]], "first": 5}
    assert module.fan(n=3) == {"every": [[4, 6, 8]], "first": 5}
