"""`if` / `elif` / `else`, run locally: the taken branch runs, the others never do, the name every
branch assigns is the taken branch's result, and the keys are those of the node it names."""
from __future__ import annotations

import json

import pytest

FLOW = """
    workflow deciding
    from steps import inc, add, pair
    param x: int = 1
    param quiet: bool = false
    a = inc(x)
    if a >= 10 and not quiet {
        big = add(a, 100)
        chosen = inc(big)
    } elif a == 2 or (quiet and a > 5) {
        chosen = add(a, 1000)
    } else {
        chosen = add(a, -1)
    }
    after_if = inc(chosen)
    return after_if
"""


@pytest.mark.parametrize("params, result, ran", [
    ((), 1003, ["add 2 1000", "inc 1", "inc 1002"]),                        # a == 2: the elif
    (("-p", "x=9"), 112, ["add 10 100", "inc 110", "inc 111", "inc 9"]),    # a >= 10: the if
    (("-p", "x=9", "-p", "quiet=true"), 1011, ["add 10 1000", "inc 1010", "inc 9"]),  # quiet and a > 5
    (("-p", "x=4"), 5, ["add 5 -1", "inc 4", "inc 4"]),                     # none: the else
])
def test_the_branch_taken_runs_and_the_others_never_do(project, params, result, ran):
    project.fuse(FLOW)
    assert project.outputs(*params) == {"after_if": result}
    assert sorted(project.calls()) == ran


def test_a_rerun_loads_the_branch_taken_and_another_param_takes_another_branch(project):
    project.fuse(FLOW)
    assert project.outputs() == {"after_if": 1003}
    project.calls()
    assert project.outputs() == {"after_if": 1003}
    assert project.calls() == []  # the test's input and the branch's nodes are stored
    assert project.outputs("-p", "x=4") == {"after_if": 5}
    assert sorted(project.calls()) == ["add 5 -1", "inc 4", "inc 4"]
    assert "chosen.elif1" in project.stored_nodes("deciding")  # the other branch's results stay


def test_a_node_after_the_if_has_the_key_it_has_when_the_file_names_the_taken_call(project):
    """`chosen` after the `if` is exactly the taken branch's node: the node reading it has the key it
    has in a file without the `if` that makes that call, so both read one stored result."""
    project.fuse(FLOW)
    project.outputs()
    decided = explain_keys(project)["after_if"]["key"]
    project.fuse("""
        workflow deciding
        from steps import inc, add
        param x: int = 1
        a = inc(x)
        chosen = add(a, 1000)
        after_if = inc(chosen)
        return after_if
    """)
    direct = explain_keys(project)["after_if"]
    assert direct["key"] == decided and direct["status"] == "stored"


def explain_keys(project) -> dict[str, dict]:
    done = project.fusec("explain", str(project.root / "wf.fuse"), "--storage", str(project.store), "--json")
    assert done.returncode == 0, done.stderr
    return {row["node"]: row for row in map(json.loads, done.stdout.splitlines())}


def test_explain_shows_the_branches_not_taken_as_skipped_once_the_tests_can_be_read(project):
    project.fuse(FLOW)
    before = explain_keys(project)  # nothing stored: the decision waits for `a`
    assert before["a"]["status"] == "run"
    assert "the `if` on line 6" in before["chosen.if"]["reasons"][0]
    assert "the `if` on line 6" in before["after_if"]["reasons"][0]
    project.outputs()
    after = explain_keys(project)
    assert {name: row["status"] for name, row in after.items()} == {
        "a": "stored", "chosen.elif1": "stored", "after_if": "stored",
        "big": "skipped", "chosen.if": "skipped", "chosen.else": "skipped"}


def test_explain_names_the_if_of_the_item_a_node_waits_for(project):
    project.fuse("""
        workflow per_item
        from steps import inc, add, pair
        param xs: list = [1, 2, 3, 4]
        for x in xs {
            a = inc(x)
            if a > 2 { b = add(a, 10) } else { b = inc(a) }
            c = inc(b)
        }
        total = pair(c, xs)
    """)
    rows = explain_keys(project)
    assert rows["b.if.1"]["reasons"] == ["in a branch of the `if` on line 6 (iteration 1), whose tests read results "
                                         "not stored"]
    assert rows["c.2"]["reasons"] == ["after the `if` on line 6 (iteration 2), whose tests read results not stored"]
    waits_for_all = rows["total"]["reasons"][0]  # every item's: the first few named, the rest counted
    assert waits_for_all.endswith("the `if` on line 6 (iteration 2) and 1 more, whose tests read results not stored")


def test_explain_lists_what_an_if_and_a_loop_no_returned_output_needs_hold_as_not_needed(project):
    project.fuse("""
        workflow unneeded
        from steps import inc, add, pair
        param xs: list = [1, 2]
        a = inc(1)
        if a > 1 { b = add(a, 10) }
        for x in xs {
            c = inc(x)
        }
        last = inc(a)
        return last
    """)
    rows = explain_keys(project)
    assert {name: row["status"] for name, row in rows.items()} == {
        "a": "run", "last": "run", "b": "not needed", "c.*": "not needed"}  # neither decided nor expanded
    assert rows["b"]["reasons"] == ["no returned output needs it, nor the run-time loop or `if` it waits for"]
    assert project.outputs() == {"last": 3}
    assert set(project.stored_nodes("unneeded")) == {"a", "last"}


def test_storage_gc_keeps_the_results_of_a_branch_not_taken_now(project):
    project.fuse(FLOW)
    project.outputs("-p", "x=9")
    project.outputs()
    done = project.fusec("storage", "gc", str(project.root / "wf.fuse"), "--storage", str(project.store))
    assert done.returncode == 0, done.stderr
    assert {"big", "chosen.if", "chosen.elif1"} <= set(project.stored_nodes("deciding"))


def test_nested_ifs_and_an_if_in_a_static_loop(project):
    project.fuse("""
        workflow nested
        from steps import inc, add
        param n: int = 3
        for k in [1, 2, 3] {
            v = add(k, n)
            if v > 4 {
                if k == 3 {
                    w = add(v, 100)
                } else {
                    w = add(v, 10)
                }
                r = inc(w)
            } else {
                r = add(v, 0)
            }
        }
        return r
    """)
    assert project.outputs() == {"r": {"1": 4, "2": 16, "3": 107}}
    assert sorted(project.calls()) == ["add 1 3", "add 2 3", "add 3 3", "add 4 0", "add 5 10", "add 6 100",
                                       "inc 106", "inc 15"]


def test_a_test_that_cannot_be_evaluated_stops_the_run_naming_the_if(project):
    project.fuse("""
        workflow bad
        from steps import shout, inc
        a = shout("text")
        if a > 3 {
            b = inc(1)
        }
        c = inc(2)
    """)
    done = project.run()
    assert done.returncode == 1
    assert "the `if` on line 4: 'text' > 3: TypeError" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_if_without_else_that_takes_no_branch_runs_the_rest(project):
    project.fuse("""
        workflow maybe
        from steps import inc
        param go: bool = false
        a = inc(1)
        if go {
            b = inc(a)
        }
        c = inc(a)
        return c
    """)
    assert project.outputs() == {"c": 3}
    assert sorted(project.calls()) == ["inc 1", "inc 2"]


def test_rerun_and_set_may_name_the_nodes_of_a_branch_not_taken(project):
    """--rerun and --set are checked against every node of the file, a branch not taken included:
    whether it runs is decided by this run's params, not by the regex."""
    project.fuse(FLOW)
    assert project.outputs() == {"after_if": 1003}
    project.calls()
    assert project.outputs("--rerun", r"chosen\.if", "--set", r"chosen\.else:retries=2") == {"after_if": 1003}
    assert project.calls() == []
    done = project.run("--rerun", r"chosen\.nowhere")
    assert done.returncode == 2 and "matches no node" in done.stderr


def test_the_generated_module_decides_as_fusec_run_does(project, tmp_path):
    """`fusec compile --target local`: the decisions are declared (rt.decision), the module runs
    the branch taken and reads the results fusec run stored."""
    from .conftest import compile_module, run_module

    fuse = project.fuse(FLOW)
    module = compile_module(fuse, tmp_path / "deciding.py")
    text = module.read_text()
    assert 'rt.decision(\n            "if-1",' in text and "# if-1: elif a == 2 or (quiet and a > 5)" in text
    done = run_module(module, "--storage", str(project.store), "--json", "-p", "x=9", cwd=tmp_path,
                      pythonpath=project.root, env={"FUSE_LOG": str(project.log_path)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"after_if": 112}
    assert sorted(project.calls()) == ["add 10 100", "inc 110", "inc 111", "inc 9"]
    assert project.outputs("-p", "x=9") == {"after_if": 112}
    assert project.calls() == []  # fusec run loads what the module stored: the same keys


def test_progress_counts_the_nodes_of_branches_not_taken_as_skipped():
    """The progress display's counts, and the lines a display drawn by another process reads."""
    import io
    from contextlib import redirect_stderr

    from fuseflow.runtime.progress import EventProgress, Progress, replay

    seen = Progress()
    seen.skipped(["x.if", "y"])
    assert seen.counts["skipped"] == 2 and seen.summary().endswith("skipped 2")
    assert "skipped" not in Progress().summary()  # a workflow without `if`s: as before
    sent = io.StringIO()
    with redirect_stderr(sent):
        EventProgress("P").skipped(["x.if", "y"])
    drawn = Progress()
    drawn.live = True
    for line in sent.getvalue().splitlines():
        assert replay(drawn, line.removeprefix("P progress "))
    assert drawn.counts["skipped"] == 2
