"""fuseflow's storage under Prefect: what a rerun runs, loads and leaves alone, as
the Prefect API records it; a failing node; a damaged record."""
from __future__ import annotations

import pytest
from prefect_helpers import run_state, task_runs

from fuseflow.runtime.invoke import NodeFailed
from fuseflow.runtime.storage import FileStore, open_store
from fuseflow.targets.prefect import backend as rt

pytestmark = pytest.mark.prefect

DIAMOND = """
    workflow diamond
    from steps import inc, add

    param a: int = 1
    param b: int = 10

    x = inc(a)
    y = inc(b)
    z = add(x, y)
    w = inc(y, by=100)
    return z, w
"""


def states(runs: dict) -> dict[str, str]:
    return {name: run.state.name for name, run in runs.items()}


def test_unchanged_rerun_runs_no_user_code(project):
    flow = project.flow(DIAMOND).diamond
    first = run_state(flow)
    assert first.result() == {"z": 13, "w": 111}
    assert sorted(project.calls()) == ["add 2 11", "inc 1", "inc 10", "inc 11"]
    assert states(task_runs(first, 4)) == dict.fromkeys(["x", "y", "z", "w"], "Completed")
    assert open_store(".fuseflow").list_tasks("diamond") == ["w", "x", "y", "z"]  # beside the flow file

    again = run_state(flow)
    assert again.result() == {"z": 13, "w": 111}
    assert project.calls() == []
    runs = task_runs(again, 2)
    assert states(runs) == {"z": "Cached", "w": "Cached"}  # x and y are not even submitted
    assert "loaded from fuseflow storage" in runs["z"].state.message


def test_changed_param_recomputes_exactly_its_dependents(project):
    flow = project.flow(DIAMOND).diamond
    flow()
    project.calls()
    state = run_state(flow, a=5)
    assert state.result() == {"z": 17, "w": 111}
    assert project.calls() == ["inc 5", "add 6 11"]  # y is loaded for z; w is loaded as it is
    assert states(task_runs(state, 4)) == {"x": "Completed", "y": "Cached", "z": "Completed", "w": "Cached"}
    assert flow(a=5, b=20) == {"z": 27, "w": 121}
    assert sorted(project.calls()) == ["add 6 21", "inc 20", "inc 21"]
    assert flow() == {"z": 13, "w": 111}
    assert project.calls() == []


def test_rerun_and_no_cache(project):
    flow = project.flow(DIAMOND).diamond
    flow()
    project.calls()
    with rt.using(rerun="x"):
        assert flow() == {"z": 13, "w": 111}
    assert project.calls() == ["inc 1", "add 2 11"]
    with rt.using(no_cache=True):
        assert flow() == {"z": 13, "w": 111}
    assert sorted(project.calls()) == ["add 2 11", "inc 1", "inc 10", "inc 11"]


FAILING = """
    workflow failing
    from steps import inc, fail_on, add

    param bad: int = 2

    x = inc(1)
    y = fail_on(x, bad)
    z = add(y, 1)
    other = inc(100)
    return z, other
"""


def test_failing_node_names_itself_and_keeps_earlier_results(project):
    flow = project.flow(FAILING).failing
    state = run_state(flow)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, NodeFailed)
    assert error.node == "y"
    assert "refusing 2" in str(error)
    assert "fail_on" in error.user_traceback and "raise ValueError" in error.user_traceback
    assert "prefect" not in error.user_traceback  # the user's own frames only
    runs = task_runs(state, 4)
    assert runs["x"].state.name == "Completed"
    assert runs["y"].state.is_failed()
    assert runs["other"].state.name == "Completed"  # an independent branch finishes and is stored
    assert "z" not in runs or not runs["z"].state.is_completed()
    assert sorted(open_store(".fuseflow").list_tasks("failing")) == ["other", "x"]
    project.calls()

    with pytest.raises(NodeFailed, match="node 'y' failed"):
        flow()  # called plainly, the flow raises the node's failure
    assert project.calls() == ["fail_on 2"]  # x and other were loaded, not run

    assert flow(bad=99) == {"z": 3, "other": 101}
    assert project.calls() == ["fail_on 2", "add 2 1"]


def test_damaged_record_is_computed_again_in_its_task(project, monkeypatch):
    flow = project.flow(DIAMOND).diamond
    flow()
    project.calls()
    real_load = FileStore.load

    def lose_z(self, workflow, node, key):
        return (False, None) if node == "z" else real_load(self, workflow, node, key)

    monkeypatch.setattr(FileStore, "load", lose_z)
    with pytest.warns(UserWarning, match="node 'z' could not be read"):
        state = run_state(flow)
    assert state.result() == {"z": 13, "w": 111}
    assert project.calls() == ["add 2 11"]  # with x and y, which the local executor loaded
    runs = task_runs(state, 2)
    assert runs["z"].state.name == "Completed" and "computed again" in runs["z"].state.message
    assert runs["w"].state.name == "Cached"


def test_main_runs_the_flow_file_like_a_script(project, capsys):
    module = project.flow(FAILING)
    assert rt.main(module.WORKFLOW, module.failing, ["-p", "bad=7", "--json"]) == 0
    assert capsys.readouterr().out.strip() == '{"z": 3, "other": 101}'
    assert rt.main(module.WORKFLOW, module.failing, ["-p", "bad=2"]) == 1
    err = capsys.readouterr().err
    assert "node 'y' failed" in err and "refusing 2" in err
    assert rt.main(module.WORKFLOW, module.failing, ["-p", "bad=two"]) == 2
    assert "bad" in capsys.readouterr().err
    assert rt.main(module.WORKFLOW, module.failing, ["--rerun", "nothing_is_called_this"]) == 2  # before any flow run
    assert "--rerun" in capsys.readouterr().err


def test_fusec_run_target_prefect(project, capsys):
    from fuseflow.cli import main as fusec

    path = project.write("wf.fuse", DIAMOND)
    store = project.root / "store"
    assert fusec(["run", str(path), "--target", "prefect", "--json", "-p", "a=2", "--storage", str(store)]) == 0
    assert capsys.readouterr().out.strip() == '{"z": 14, "w": 111}'
    assert sorted(project.calls()) == ["add 3 11", "inc 10", "inc 11", "inc 2"]
    assert fusec(["run", str(path), "--target", "local", "--json", "-p", "a=2", "--storage", str(store)]) == 0
    assert capsys.readouterr().out.strip() == '{"z": 14, "w": 111}'
    assert project.calls() == []  # the local target finds what the Prefect run stored
