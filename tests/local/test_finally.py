"""`finally { ... }`, run locally: after the rest, on success and on failure, reading run_status,
never stored, and never hiding the run's own outcome."""
from __future__ import annotations

FLOW = """
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


def test_finally_runs_after_success_with_the_state_and_is_never_stored(project):
    project.fuse(FLOW)
    assert project.outputs() == {"b": 2}
    assert project.calls()[-1] == "pair succeeded []"
    assert project.outputs() == {"b": 2}  # the rest loaded; finally runs again: it is never stored
    assert project.calls() == ["pair succeeded []"]


def test_finally_runs_after_a_failure_which_stays_the_run_s_outcome(project):
    project.fuse(FLOW)
    done = project.run("-p", "x=13")
    assert done.returncode == 1
    assert "node 'a' failed" in done.stderr
    failed = project.calls()[-1]
    assert failed.startswith("pair failed [{'node': 'a', 'error': 'ValueError:")


def test_a_failure_in_finally_fails_a_run_that_succeeded(project):
    project.fuse("""
        workflow closing
        from steps import inc, fail_on
        a = inc(1)
        finally {
            fail_on(13, 13)
        }
    """)
    done = project.run("--json")
    assert done.returncode == 1
    assert "node 'fail_on_1' failed" in done.stderr


def test_a_failure_in_finally_after_a_failed_run_is_a_warning_beside_the_run_s_error(project):
    project.fuse("""
        workflow closing
        from steps import fail_on
        a = fail_on(13, 13)
        finally {
            fail_on(14, 14)
        }
    """)
    done = project.run()
    assert done.returncode == 1
    assert "node 'a' failed" in done.stderr
    assert "finally: node 'fail_on_1' failed" in done.stderr
