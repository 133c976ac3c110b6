"""Run-time loops on Ray: one task per item, the items' results gathered as ObjectRefs, actors unchanged."""
from __future__ import annotations

import pytest
from conftest import outputs_json

from fuseflow.runtime.invoke import NodeFailed

pytestmark = pytest.mark.ray


def test_each_item_is_a_task_of_its_own_and_the_results_are_gathered_in_item_order(workflow, tmp_path, log):
    wf = workflow(f'''
from ff_ray_helpers import listing, stamp, step, gather
param log: str = "{log.path}"
param n: int = 2
xs = listing(log, n)
for x in xs {{
    nap = stamp(log, "nap", 1.0)                  # both items at once, on two CPUs
    sq = step(log, "sq", x, by=10)
}}
every = gather(log, sq, nap)
first = step(log, "first", sq[0])
return every, first
''')
    assert wf.run(no_cache=True) == {"every": {"args": [[10, 11], ["nap", "nap"]], "kwargs": {}}, "first": 11}
    calls = log.take()
    naps = [line.split() for line in calls if line.startswith("nap ")]
    assert len(naps) == 2 and float(naps[0][1]) < float(naps[1][2]) and float(naps[1][1]) < float(naps[0][2])
    assert sorted(line for line in calls if not line.startswith("nap ")) == ["first", "gather", "listing", "sq", "sq"]


def test_a_grown_list_runs_the_new_item_only(workflow, tmp_path, log):
    wf = workflow(f'''
from ff_ray_helpers import step
param log: str = "{log.path}"
param xs: list = [1, 2]
for x in xs {{
    sq = step(log, "sq", x, by=10)
}}
return sq
''')
    store = str(tmp_path / "store")
    assert wf.run(storage=store) == {"sq": [11, 12]}
    assert log.take() == ["sq", "sq"]
    assert wf.run({"xs": [1, 2, 3]}, storage=store) == {"sq": [11, 12, 13]}
    assert log.take() == ["sq"]


def test_an_object_made_before_a_loop_is_the_same_actor_after_it(workflow, tmp_path, log):
    wf = workflow(f'''
from ff_ray_helpers import Recorder, step
param log: str = "{log.path}"
r = Recorder(log)
first = r.add(1)                        # [1]: what the loop iterates, from the actor
for x in first {{
    sq = step(log, "sq", x, by=10)
}}
r.add(sq)                               # the actor's next call, with the loop's results
seen = r.add(3)
return seen
''')
    assert wf.run(no_cache=True) == {"seen": [1, [11], 3]}
    assert log.take() == ["Recorder", "add 1", "sq", "add [11]", "add 3"]  # one actor, each call once


def test_a_failure_before_the_loop_is_the_failing_node_s(workflow, tmp_path, log):
    flag = tmp_path / "broken"
    flag.touch()
    wf = workflow(f'''
from ff_ray_helpers import fail_if, step
param log: str = "{log.path}"
xs = fail_if(log, "xs", [1, 2], "{flag}")
for x in xs {{
    sq = step(log, "sq", x)
}}
return sq
''')
    with pytest.raises(NodeFailed) as failed:
        wf.run(no_cache=True)
    assert failed.value.node == "xs" and "refusing [1, 2]" in str(failed.value)
    assert log.take() == ["xs"]


def test_the_file_s_ray_options_select_an_item_s_node_by_its_name(workflow):
    wf = workflow('''
from ff_ray_helpers import assigned_to
param xs: list = ["a", "b"]
for x in xs {
    at = assigned_to(x)
}
options ray {
    "at\\\\.1": { num_cpus: 0.5, resources: { "_model": 1 } }
}
return at
''')
    first, second = wf.run(no_cache=True)["at"]
    assert first == ["a", {"CPU": 1.0}]
    assert second == ["b", {"CPU": 0.5, "_model": 1.0}]


def test_fusec_run_stops_at_a_value_that_is_no_list_naming_it(fusec, tmp_path):
    fuse = tmp_path / "wf.fuse"
    fuse.write_text('''
from ff_ray_helpers import step
x = step("/dev/null", "x", 1)
for item in x {
    y = step("/dev/null", "y", item)
}
''')
    status, out, err = fusec("run", str(fuse), "--target", "ray", "--no-cache", "--json")
    assert status == 1 and out == ""
    assert "the run-time loop over x needs a list or a dict; x is int" in err
    assert "Traceback" not in err


def test_fusec_run_gives_the_outputs_fusec_run_gives_locally(fusec, tmp_path):
    fuse = tmp_path / "wf.fuse"
    fuse.write_text('''
from ff_ray_helpers import pair, gather
param sizes: dict = {"small": 1, "big": 10}
p = pair("/dev/null", 1, 2)
for name, size in sizes {
    both = pair("/dev/null", name, size)
}
for v in p["both"] {
    for k in [1, 2] {
        cell = gather("/dev/null", v, k)
    }
}
return both, cell
''')
    runs = [fusec("run", str(fuse), "--target", target, "--no-cache", "--json") for target in ("ray", "local")]
    assert runs[0][0] == runs[1][0] == 0
    assert outputs_json(runs[0][1]) == outputs_json(runs[1][1])
    assert outputs_json(runs[0][1])["both"]["big"] == {"a": "big", "b": 10, "both": ["big", 10]}
