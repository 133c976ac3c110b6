"""`if` on Prefect: the generated flow file decides in its body (`if branch == 0:`), each node of
the branch taken is a task run named after it, and each node of a branch not taken is a task run
in state Skipped, as the Prefect API records them; the local target's outputs and calls."""
from __future__ import annotations

import pytest
from prefect_helpers import run_state, task_runs

pytestmark = pytest.mark.prefect

FLOW = """
    workflow deciding
    from steps import inc, add

    param x: int = 1

    a = inc(x)
    if a >= 5 {
        big = add(a, 100)
        chosen = inc(big)
    } elif a == 2 {
        chosen = add(a, 1000)
    } else {
        chosen = add(a, -1)
    }
    last = inc(chosen)
    return last
"""


def states(runs: dict) -> dict[str, str]:
    return {name: run.state.name for name, run in runs.items()}


def test_the_flow_body_runs_the_branch_taken_and_shows_the_others_skipped(project):
    module = project.flow(FLOW)
    text = (project.root / "wf_flow.py").read_text(encoding="utf-8")
    assert 'branch_if_1 = run.decide("if-1")' in text
    assert "if branch_if_1 == 0:  # a >= 5" in text and "elif branch_if_1 == 1:  # a == 2" in text
    assert 'run.chosen("if-1", "chosen.if", "chosen.elif1", "chosen.else")' in text

    first = run_state(module.deciding)
    assert first.result() == {"last": 1003}
    assert sorted(project.calls()) == ["add 2 1000", "inc 1", "inc 1002"]
    assert states(task_runs(first, 6)) == {"a": "Completed", "chosen.elif1": "Completed", "last": "Completed",
                                           "big": "Skipped", "chosen.if": "Skipped", "chosen.else": "Skipped"}

    other = run_state(module.deciding, x=9)
    assert other.result() == {"last": 112}
    assert sorted(project.calls()) == ["add 10 100", "inc 110", "inc 111", "inc 9"]
    assert states(task_runs(other, 6))["chosen.elif1"] == "Skipped"


CLOSING = """
    workflow closing
    from steps import inc, fail_on, pair

    param x: int = 1

    a = fail_on(x, 13)
    b = inc(a)
    finally {
        seen = pair(run_status["state"], run_status["failed"])
    }
    return b
"""


def test_finally_is_the_flow_body_s_try_finally_and_the_rest_s_failure_stays_the_flow_run_s(project):
    module = project.flow(CLOSING)
    text = (project.root / "wf_flow.py").read_text(encoding="utf-8")
    assert "    try:\n" in text and "    finally:\n        run.closing()" in text
    assert 'run.status("state"), run.status("failed")' in text

    done = run_state(module.closing)
    assert done.result() == {"b": 2}
    assert project.calls()[-1] == "pair succeeded []"
    assert states(task_runs(done, 3)) == dict.fromkeys(["a", "b", "seen"], "Completed")

    failed = run_state(module.closing, x=13)
    assert failed.is_failed() and "refusing 13" in str(failed.message) + repr(failed.result(raise_on_failure=False))
    last = project.calls()[-1]
    assert last.startswith("pair failed [{'node': 'a', 'error': 'ValueError: refusing 13'}]")
    runs = task_runs(failed, 2)
    assert runs["seen"].state.name == "Completed" and runs["a"].state.is_failed()


SEVERAL = """
    workflow closings
    from steps import inc, fail_on, pair

    param x: int = 1
    param y: int = 0

    a = fail_on(x, 13)
    finally {
        told = pair(run_status["state"], x)
        inc(told["b"])
        fail_on(y, 2)
    }
    return a
"""


def test_several_finally_calls_are_task_runs_and_a_failure_in_finally_fails_only_a_run_that_succeeded(project):
    """Each call a task run named after its node, one reading another; a failure in `finally`
    after a success is the flow run's failure, after a failure the rest's stays the flow run's."""
    module = project.flow(SEVERAL)
    done = run_state(module.closings)
    assert done.result() == {"a": 1}
    assert sorted(project.calls()) == ["fail_on 0", "fail_on 1", "inc 1", "pair succeeded 1"]
    assert states(task_runs(done, 4)) == dict.fromkeys(["a", "told", "inc_1", "fail_on_1"], "Completed")

    closing_failed = run_state(module.closings, y=2)
    assert closing_failed.is_failed() and "refusing 2" in str(closing_failed.message)
    runs = task_runs(closing_failed, 4)
    assert runs["fail_on_1"].state.is_failed() and not runs["a"].state.is_failed()  # a: loaded (Cached)

    with pytest.warns(UserWarning, match="finally: node 'fail_on_1' failed"):
        both_failed = run_state(module.closings, x=13, y=2)
    assert both_failed.is_failed() and "refusing 13" in str(both_failed.message)
    assert "refusing 2" not in str(both_failed.message)
    assert "pair failed 13" in project.calls()


def test_finally_calls_run_one_after_another_and_none_after_one_that_failed(project):
    """As the engine runs them (runtime.final): in order, and a call after one that failed does not
    run, although nothing of the failed one is read."""
    module = project.flow("""
        workflow closing
        from steps import inc, fail_on

        a = inc(1)
        finally {
            fail_on(13, 13)
            inc(100)
        }
        return a
    """)
    failed = run_state(module.closing)
    assert failed.is_failed()  # the rest succeeded: the failure in finally is the run's
    assert project.calls() == ["inc 1", "fail_on 13"]


def test_the_flow_file_s_command_line_reports_the_summary(project, tmp_path, capsys):
    """`python wf_flow.py --json --summary`: the flow run's decisions, the nodes it showed Skipped, the
    task runs it submitted as runs and as loads (every target: tests/conformance/test_conformance_summary.py)."""
    import json

    module = project.flow(FLOW)
    store = str(tmp_path / "store")
    assert module.rt.main(module.WORKFLOW, module.deciding, ["--json", "--summary", "--storage", store]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "outputs": {"last": 1003},
        "summary": {"nodes": {"computed": 3, "loaded": 0, "skipped": 3}, "skipped": ["big", "chosen.if", "chosen.else"],
                    "decisions": {"if-1": "elif1"}}}
    assert module.rt.main(module.WORKFLOW, module.deciding, ["--json", "--storage", store]) == 0
    assert capsys.readouterr().out == '{"last": 1003}\n'


ENDS = """
    workflow ends
    from steps import inc, add

    param x: int = 4
    param xs: list = [1, 3]

    a = inc(x)
    if a >= 5 {
        inc(a, 100)                  # nothing reads it
    } else {
        add(a, 200)
    }
    for v in xs {
        if v > 2 { add(v, 300) }     # per item
    }
    last = inc(a)
"""


def test_the_flow_file_runs_what_nothing_reads_in_the_branches_taken_and_with_return_leaves_it_out(project):
    module = project.flow(ENDS)
    first = run_state(module.ends)
    assert first.result() == {"last": 6}  # the branches' nodes are no outputs
    assert sorted(project.calls()) == ["add 3 300", "inc 4", "inc 5", "inc 5"]
    assert states(task_runs(first, 6)) == {"a": "Completed", "inc_1": "Completed", "add_1": "Skipped",
                                           "add_2.0": "Skipped", "add_2.1": "Completed", "last": "Completed"}
    # with `return`, the `if`s and the loop no returned output needs: not decided, not expanded, no task run
    returned = project.flow(ENDS + "    return last\n", name="wf_returned")
    second = run_state(returned.ends, x=9)
    assert second.result() == {"last": 11}
    assert sorted(project.calls()) == ["inc 10", "inc 9"]
    assert states(task_runs(second, 2)) == {"a": "Completed", "last": "Completed"}
