"""Object nodes are Ray actors; their method calls run in source order."""
from __future__ import annotations

import pytest

from fuseflow.runtime.invoke import NodeFailed

pytestmark = pytest.mark.ray


def test_method_calls_run_in_source_order_even_when_later_inputs_are_ready_first(workflow, tmp_path, log):
    wf = workflow(f'''
from ff_ray_helpers import Recorder, slow
param log: str = "{log.path}"
first = slow(1, 1.0)
second = slow(2, 0.4)
third = slow(3, 0.0)
r = Recorder(log)
r.add(first)
r.add(second)
last = r.add(third)
return last
''')
    store = str(tmp_path / "store")
    assert wf.run(storage=store) == {"last": [1, 2, 3]}
    assert log.take() == ["Recorder", "add 1", "add 2", "add 3"]
    assert wf.run(storage=store) == {"last": [1, 2, 3]}
    assert log.take() == []  # stored: not even the actor is created


def test_a_failing_method_call_stops_the_later_calls_on_its_object(workflow, tmp_path, log):
    wf = workflow(f'''
from ff_ray_helpers import Recorder
param log: str = "{log.path}"
r = Recorder(log)
before = r.add(1)
r.boom()
later = r.add(2)
return before, later
''')
    with pytest.raises(NodeFailed) as failed:
        wf.run(storage=str(tmp_path / "store"))
    assert failed.value.node == "r_boom_1"
    assert isinstance(failed.value.error, KeyError)
    assert "ff_ray_helpers.py" in failed.value.user_traceback
    assert log.take() == ["Recorder", "add 1"]  # `later` never ran on the object that missed a step


def test_a_failing_input_of_a_method_call_stops_the_later_calls_too(workflow, tmp_path, log):
    flag = tmp_path / "broken"
    flag.touch()
    wf = workflow(f'''
from ff_ray_helpers import Recorder, fail_if
param log: str = "{log.path}"
bad = fail_if(log, "bad", 5, "{flag}")
r = Recorder(log)
r.add(bad)
later = r.add(2)
return later
''')
    with pytest.raises(NodeFailed) as failed:
        wf.run(no_cache=True)
    assert failed.value.node == "bad"  # the root cause, not the calls it cut short
    assert "add 2" not in log.take()


def test_a_failing_constructor_is_reported_by_its_object_node(workflow):
    wf = workflow('''
from ff_ray_helpers import Broken
b = Broken()
u = b.use()
return u
''')
    with pytest.raises(NodeFailed) as failed:
        wf.run(no_cache=True)
    assert failed.value.node == "b"
    assert "cannot build" in str(failed.value)
