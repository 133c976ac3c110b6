"""Storage on Ray: the local target's cache keys and plan, results saved by the workers."""
from __future__ import annotations

import pytest

from fuseflow.runtime.execute import run as run_locally
from fuseflow.runtime.invoke import NodeFailed
from fuseflow.runtime.prepare import RunSettings
from fuseflow.targets.ray import backend as ray_backend

pytestmark = pytest.mark.ray


@pytest.fixture
def submissions(monkeypatch):
    """Names of the nodes the driver submits to Ray."""
    submitted: list[str] = []
    original = ray_backend.Driver.submit

    def counting(self, i, node, remote, receipts, *waits):
        submitted.append(node.name)
        return original(self, i, node, remote, receipts, *waits)

    monkeypatch.setattr(ray_backend.Driver, "submit", counting)
    return submitted


def chain(log) -> str:
    return f'''
from ff_ray_helpers import step, add
param p: int = 1
param q: int = 1
param log: str = "{log.path}"
a = step(log, "a", p)
b = step(log, "b", q)
c = step(log, "c", a)
d = add(log, "d", b, c)
return d
'''


def test_unchanged_rerun_submits_nothing_and_a_changed_param_recomputes_its_dependents(
        workflow, tmp_path, log, submissions):
    wf = workflow(chain(log))
    store = str(tmp_path / "store")
    assert wf.run(storage=store) == {"d": 5}
    assert sorted(log.take()) == ["a", "b", "c", "d"]
    assert sorted(submissions) == ["a", "b", "c", "d"]
    submissions.clear()

    assert wf.run(storage=store) == {"d": 5}
    assert log.take() == [] and submissions == []

    assert wf.run({"q": 10}, storage=store) == {"d": 14}
    assert sorted(log.take()) == ["b", "d"]  # a and c are untouched: c is loaded, a not even read
    assert sorted(submissions) == ["b", "d"]


def test_the_local_target_reads_what_ray_stored(workflow, tmp_path, log):
    wf = workflow(chain(log))
    store = str(tmp_path / "store")
    assert wf.run({"p": 3}, storage=store) == {"d": 7}
    log.take()
    assert run_locally(wf, {"p": 3}, RunSettings(storage=store)) == {"d": 7}  # the same keys, so all loaded
    assert log.take() == []


def test_a_failing_node_names_itself_keeps_earlier_results_and_the_rerun_reuses_them(workflow, tmp_path, log):
    flag = tmp_path / "broken"
    flag.touch()
    wf = workflow(f'''
from ff_ray_helpers import step, fail_if
param log: str = "{log.path}"
a = step(log, "a", 1)
b = fail_if(log, "b", a, "{flag}")
c = step(log, "c", b)
side = step(log, "side", 10)
return c, side
''')
    store = str(tmp_path / "store")
    with pytest.raises(NodeFailed) as failed:
        wf.run(storage=store)
    assert failed.value.node == "b"
    assert isinstance(failed.value.error, ValueError)
    assert "ff_ray_helpers.py" in failed.value.user_traceback
    assert 'raise ValueError(f"refusing' in failed.value.user_traceback
    assert "ray_worker" not in failed.value.user_traceback  # the user's frames only
    assert sorted(log.take()) == ["a", "b", "side"]  # c never ran; the other branch finished

    flag.unlink()
    assert wf.run(storage=store) == {"c": 3, "side": 11}
    assert sorted(log.take()) == ["b", "c"]  # a and side came from the store


def test_ray_retries_the_call_and_the_report_counts_the_attempts(workflow, tmp_path, log):
    wf = workflow(f'''
from ff_ray_helpers import flaky
param log: str = "{log.path}"
ok = flaky(log, "ok", 1)
options {{ "ok": {{ retries: 2 }} }}
return ok
''')
    assert wf.run(no_cache=True) == {"ok": 2}  # failed once, Ray ran it again
    assert log.take() == ["ok", "ok"]

    never = workflow(f'''
from ff_ray_helpers import flaky
param log: str = "{log.path}"
never = flaky(log, "never", 99)
options {{ "never": {{ retries: 2 }} }}
return never
''', name="never.fuse")
    with pytest.raises(NodeFailed, match=r"node 'never' failed after 3 attempts: RuntimeError: attempt 3 fails"):
        never.run(no_cache=True)
    assert log.take() == ["never"] * 3


def test_a_timeout_fails_the_node(workflow):
    wf = workflow('''
from ff_ray_helpers import slow
n = slow(1, 30)
options { "n": { timeout: 0.5 } }
return n
''')
    with pytest.raises(NodeFailed, match=r"node 'n' failed: NodeTimeout: timed out after 0.5 s"):
        wf.run(no_cache=True)


def test_a_relative_store_is_made_absolute_for_the_workers(workflow, tmp_path, log, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wf = workflow(chain(log))
    assert wf.run(storage="rel/store") == {"d": 5}
    from fuseflow.runtime.storage import open_store

    assert open_store(tmp_path / "rel" / "store").list_tasks(wf.name) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(("classes", "result"), [('["RuntimeError"]', 2), ('["KeyError"]', None)])
def test_retry_exceptions_by_class_name(workflow, log, classes, result):
    wf = workflow(f'''
from ff_ray_helpers import flaky
param log: str = "{log.path}"
x = flaky(log, "x", 1)
options ray {{ "x": {{ max_retries: 1, retry_exceptions: {classes} }} }}
return x
''')
    if result is None:
        with pytest.raises(NodeFailed, match=r"node 'x' failed: RuntimeError"):
            wf.run(no_cache=True)
    else:
        assert wf.run(no_cache=True) == {"x": result}
