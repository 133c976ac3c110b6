"""`--summary`, locally: what the run did (nodes computed, loaded, skipped; the branch each `if`
took) in the `--json` object or as a line on stderr, from `fusec run`, a generated module and the
Python API; `--json` alone unchanged. (Every target: tests/conformance/test_conformance_summary.py.)"""
from __future__ import annotations

import json

from fuseflow.runtime.summary import Summary, branch_taken, in_order, skipped_nodes

from .conftest import compile_module, run_module

FLOW = """
    workflow deciding
    from steps import inc, add
    param x: int = 1
    a = inc(x)
    if a >= 10 {
        big = add(a, 100)
        chosen = inc(big)
    } elif a == 2 {
        chosen = add(a, 1000)
    } else {
        chosen = add(a, -1)
    }
    for k in [1, 2] {
        if k == 2 {
            part = add(chosen, k)
        } else {
            part = inc(k)
        }
    }
    if a > 100 {
        huge = inc(a)
        shown = inc(huge)
    }
"""  # no `return`: the third `if` is decided (it takes no branch) although nothing reads its nodes

SKIPPED = ["big", "chosen.if", "chosen.else", "part.if.1", "part.else.2", "huge", "shown"]
DECISIONS = {"if-1": "elif1", "if-2.1": "else", "if-2.2": "if", "if-3": None}


def test_json_and_summary_give_one_object_with_the_outputs_and_what_the_run_did(project):
    project.fuse(FLOW)
    first = project.outputs("--summary")
    assert first == {"outputs": {"part": {"1": 2, "2": 1004}},
                     "summary": {"nodes": {"computed": 4, "loaded": 0, "skipped": 7}, "skipped": SKIPPED,
                                 "decisions": DECISIONS}}
    assert sorted(project.calls()) == ["add 1002 2", "add 2 1000", "inc 1", "inc 1"]
    again = project.outputs("--summary")
    assert again["outputs"] == first["outputs"] and project.calls() == []
    assert again["summary"]["nodes"]["computed"] == 0 and again["summary"]["nodes"]["loaded"] > 0
    assert (again["summary"]["skipped"], again["summary"]["decisions"]) == (SKIPPED, DECISIONS)
    other = project.outputs("--summary", "-p", "x=9")["summary"]
    assert other["decisions"] == {**DECISIONS, "if-1": "if"}
    assert other["skipped"] == ["chosen.elif1", "chosen.else", "part.if.1", "part.else.2", "huge", "shown"]


def test_json_alone_is_the_outputs_as_before(project):
    project.fuse(FLOW)
    done = project.run("--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"part": {"1": 2, "2": 1004}}\n'
    assert "summary" not in done.stderr


def test_summary_alone_prints_the_outputs_as_before_and_one_line_on_stderr(project):
    project.fuse(FLOW)
    done = project.run("--summary")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "{'1': 2, '2': 1004}\n"  # one output: its value alone
    assert done.stderr.endswith(
        "summary: 4 computed, 0 loaded, 7 skipped (big, chosen.if, chosen.else, part.if.1, part.else.2 and 2 more); "
        "if-1: elif1, if-2.1: else, if-2.2: if, if-3: no branch\n")


def test_a_workflow_without_ifs_counts_its_nodes_and_skips_none(project):
    project.fuse("""
        workflow plain
        from steps import inc
        a = inc(1)
        b = inc(a)
        return b
    """)
    assert project.outputs("--summary")["summary"] == {"nodes": {"computed": 2, "loaded": 0, "skipped": 0},
                                                       "skipped": [], "decisions": {}}
    assert project.outputs("--summary")["summary"]["nodes"] == {"computed": 0, "loaded": 1, "skipped": 0}
    assert project.outputs("--summary", "--no-cache")["summary"]["nodes"] == {"computed": 2, "loaded": 0,
                                                                               "skipped": 0}


def test_finally_s_calls_count_as_computed(project):
    project.fuse("""
        workflow closing
        from steps import inc, pair
        a = inc(1)
        finally {
            pair(run_status["state"], 0)
        }
        return a
    """)
    assert project.outputs("--summary")["summary"]["nodes"] == {"computed": 2, "loaded": 0, "skipped": 0}
    assert project.outputs("--summary")["summary"]["nodes"] == {"computed": 1, "loaded": 1, "skipped": 0}


def test_a_failed_run_prints_no_summary(project):
    project.fuse("""
        workflow failing
        from steps import fail_on
        a = fail_on(1, 1)
    """)
    done = project.run("--json", "--summary")
    assert (done.returncode, done.stdout) == (1, "")
    assert "summary" not in done.stderr


def test_a_generated_module_takes_the_flag(project, tmp_path):
    fuse = project.fuse(FLOW)
    module = compile_module(fuse, tmp_path / "deciding_wf.py")
    done = run_module(module, "--json", "--summary", cwd=tmp_path, pythonpath=project.root, env=project.env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"] == {"nodes": {"computed": 4, "loaded": 0, "skipped": 7},
                                                  "skipped": SKIPPED, "decisions": DECISIONS}
    done = run_module(module, "--json", cwd=tmp_path, pythonpath=project.root, env=project.env())
    assert done.stdout == '{"part": {"1": 2, "2": 1004}}\n'


def test_the_python_api_fills_in_a_summary_it_is_given(project, load_module):
    wf = load_module(project.fuse(FLOW)).WORKFLOW
    summary = Summary()
    assert wf.run(no_cache=True, summary=summary) == {"part": {"1": 2, "2": 1004}}
    assert (summary.counts(), summary.skipped, summary.decisions) == (
        {"computed": 4, "loaded": 0, "skipped": 7}, SKIPPED, DECISIONS)


def test_a_branch_is_named_as_node_names_name_it():
    assert [branch_taken(2, [0, 1, 2], i) for i in range(3)] == ["if", "elif1", "else"]
    assert branch_taken(1, [0], 0) == "if"
    assert branch_taken(1, [0], 1) is None  # no `else`: no branch
    assert branch_taken(2, [0], 2) is None  # an `else` without a node is none either


def test_skipped_nodes_are_those_of_branches_not_taken_or_of_decisions_never_made():
    inside = {"if-1": {"a": 0, "b": 1, "c": 1}, "if-2": {"c": 0}}  # if-2 inside if-1's branch 1
    order = ["x", "a", "b", "c", "y"]
    assert skipped_nodes(order, inside, {"if-1": 0}) == ["b", "c"]
    assert skipped_nodes(order, inside, {"if-1": 1, "if-2": 1}) == ["a", "c"]
    assert skipped_nodes(order, inside, {"if-1": 1, "if-2": 0}) == ["a"]


def test_names_are_put_in_the_graph_s_order_and_others_after_by_name():
    assert in_order(["c", "z", "a", "y"], ["a", "b", "c"]) == ["a", "c", "y", "z"]
    assert in_order(["if-1.10", "x.if.2", "if-1.2", "if-2.0"], ["x"]) == ["if-1.2", "if-1.10", "if-2.0", "x.if.2"]


def test_the_line_names_a_few_and_counts_the_rest():
    summary = Summary()
    summary.computed("a")
    summary.loaded("b")
    summary.loaded("a")  # computed already: stays computed
    summary.decide({"if-1": "else"}, [f"n{i}" for i in range(7)], [], ["if-1"])
    assert summary.text() == "1 computed, 1 loaded, 7 skipped (n0, n1, n2, n3, n4 and 2 more); if-1: else"
