"""Options reach Ray: custom resources and max_pending bound concurrency, overrides
change a node's `.options(...)`, neutral env becomes the task's runtime_env."""
from __future__ import annotations

import itertools
import json

import pytest

pytestmark = pytest.mark.ray


def overlaps(lines: list[str]) -> list[tuple[str, str]]:
    """Pairs of `stamp` calls whose [start, end] intervals overlap."""
    spans = []
    for line in lines:
        name, start, end = line.split()
        spans.append((name, float(start), float(end)))
    return [(a[0], b[0]) for a, b in itertools.combinations(spans, 2) if a[1] < b[2] and b[1] < a[2]]


STAMPS = '''
from ff_ray_helpers import stamp
param log: str = "{log}"
for i in [1, 2, 3, 4] {{
    t = stamp(log, i, 0.3)
}}
{options}
return t
'''


def test_a_custom_resource_lets_one_such_node_run_at_a_time(workflow, log):
    """The session's Ray has one `_model`; each node asks for it and half a CPU,
    so without the resource four could run at once."""
    options = 'options ray { "t\\\\..*": { num_cpus: 0.5, resources: {"_model": 1} } }'
    wf = workflow(STAMPS.format(log=log.path, options=options))
    assert wf.run(no_cache=True) == {"t": {"1": 1, "2": 2, "3": 3, "4": 4}}
    lines = log.take()
    assert len(lines) == 4
    assert overlaps(lines) == []


def test_max_pending_bounds_the_tasks_in_flight(workflow, log):
    options = 'options ray { "t\\\\..*": { num_cpus: 0.25 }  workflow: { max_pending: 1 } }'
    wf = workflow(STAMPS.format(log=log.path, options=options))
    wf.run(no_cache=True)
    assert overlaps(log.take()) == []


def test_max_pending_from_the_caller(workflow, log):
    wf = workflow(STAMPS.format(log=log.path, options='options ray { "t\\\\..*": { num_cpus: 0.25 } }'))
    wf.run(no_cache=True, max_pending=1)
    assert overlaps(log.take()) == []


RESOURCES = '''
from ff_ray_helpers import assigned
one = assigned()
two = assigned()
options { "one": { cpus: 0.5 } }
return one, two
'''


def test_neutral_cpus_and_query_set_reach_the_task(workflow):
    wf = workflow(RESOURCES)
    assert wf.run(no_cache=True) == {"one": {"CPU": 0.5}, "two": {"CPU": 1.0}}
    wf.query("two").set(num_cpus=0.25)  # functionfuse's query(...).set_remote_args(...)
    wf.query("o.*").set(cpus=0.75)
    assert wf.run(no_cache=True) == {"one": {"CPU": 0.75}, "two": {"CPU": 0.25}}


def test_set_on_the_command_line(fusec, tmp_path):
    fuse = tmp_path / "res.fuse"
    fuse.write_text(RESOURCES)
    status, out, err = fusec("run", str(fuse), "--target", "ray", "--json", "--no-cache",
                             "--set", "t.*:num_cpus=0.25", "--set", "one:resources={\"_model\": 1}")
    assert status == 0, err
    assert json.loads(out) == {"one": {"CPU": 0.5, "_model": 1.0}, "two": {"CPU": 0.25}}


@pytest.mark.parametrize(("setting", "message"), [
    ("zzz:num_cpus=1", "'zzz' matches no node"),
    ("one:num_cpuz=1", "unknown ray option 'num_cpuz'; did you mean 'num_cpus'?"),  # the checker of `options ray`
    ("one:retries=-1", "option 'retries'"),
    ('one:resources={"CPU": 1}', "ray option 'resources' expects a dict of resource names to numbers, got the resource "
                                 '"CPU"; use num_cpus instead'),
    ("one:num_gpus=-1", "ray option 'num_gpus' expects a number >= 0, got -1"),
    ("one:num_gpus=NaN", "the value is nan: NaN and infinities are not option values"),
    ('one:env={"K": 1}', "option 'env' expects a dict of strings to strings"),
    ("one:setup=nonexist:fn", "option 'setup' names 'nonexist:fn', which cannot be imported"),
])
def test_a_bad_override_is_a_usage_error_before_anything_runs(fusec, tmp_path, setting, message):
    fuse = tmp_path / "res.fuse"
    fuse.write_text(RESOURCES)
    status, out, err = fusec("run", str(fuse), "--target", "ray", "--no-cache", "--set", setting)
    assert status == 2
    assert message in err and out == ""


def test_neutral_env_becomes_the_runtime_env_of_the_task(workflow):
    wf = workflow('''
from ff_ray_helpers import env_value
inside = env_value("FUSEFLOW_RAY_TEST")
outside = env_value("FUSEFLOW_RAY_TEST")
options { "inside": { env: {"FUSEFLOW_RAY_TEST": "yes"} } }
return inside, outside
''')
    assert wf.run(no_cache=True) == {"inside": "yes", "outside": None}
