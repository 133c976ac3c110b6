"""Nodes no returned output needs (compiler/unused.py): with `return` they do not
run, and the front end says so, one warning per source statement, at its first
such node, with the line and a caret as every warning has."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from fuseflow.compiler import errors
from fuseflow.compiler.frontend import compile_source
from fuseflow.runtime import graph
from fuseflow.runtime.plan import SKIP, output_nodes, plan

ROOT = Path(__file__).resolve().parents[2]


def warnings_of(text: str) -> str:
    """The warnings as fusec prints them (without the summary line)."""
    text = textwrap.dedent(text)
    _, warnings = compile_source(text, "wf.fuse")
    return errors.render("wf.fuse", text, warnings)


def warned_nodes(text: str) -> set[str]:
    """The nodes a run leaves out, as the runtime's own plan works them out."""
    workflow, _ = compile_source(textwrap.dedent(text), "wf.fuse")
    nodes = [graph.Node(node.name, node.kind, None, list(node.args), dict(node.kwargs), object=node.object,
                        method=node.target) for node in workflow.nodes]
    runtime = graph.Workflow(workflow.name, nodes, outputs={o.name: o.value for o in workflow.outputs})
    return {name for name, state in plan(runtime, output_nodes(runtime), None).items() if state == SKIP}


# A literal port of functionfuse's `LocalWorkflow(data).run()`: the data is a root,
# and the training hangs off it, so `return data` trains nothing.
PORT = """\
    from examples.models import make_dataset, train, score

    let models = {"knn": {"k": 5}, "tree": {"depth": 3}, "ridge": {"alpha": 0.1}}

    data = make_dataset("moons")
    for name, pars in models {
        model = train(name, pars, data[0], data[1])
        acc   = score(model, data[0], data[1])
    }
    return data
"""


def test_a_port_of_local_workflow_roots_warns_about_the_training() -> None:
    assert warnings_of(PORT) == (
        "wf.fuse:7:13: warning: 'model' (3 nodes) is not needed by any returned output: "
        "with `return`, it does not run\n"
        "  7 |     model = train(name, pars, data[0], data[1])\n"
        "    |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ return it too, or remove it\n"
        "wf.fuse:8:13: warning: 'acc' (3 nodes) is not needed by any returned output: "
        "with `return`, it does not run\n"
        "  8 |     acc   = score(model, data[0], data[1])\n"
        "    |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ return it too, or remove it\n"
    )


def test_returning_the_leaves_needs_everything() -> None:
    assert warnings_of(PORT.replace("return data", "return acc")) == ""


def test_without_return_every_node_is_an_output_or_feeds_one() -> None:
    assert warnings_of(PORT.replace("    return data\n", "")) == ""


BRANCHED = """\
    from examples.ops import add
    param xs: list = [1, 2]
    a = add(1, 2)
    if a > 2 {
        add(a, 100)                      # nothing reads it: no output, run when its branch is taken
        b = add(a, 1)
    }
    for x in xs {
        if x > 1 { d = add(x, 10) }
    }
    last = add(a, 0)
    """


def test_without_return_the_nodes_of_branches_are_needed_though_they_are_no_outputs() -> None:
    from fuseflow import ir

    workflow, _ = compile_source(textwrap.dedent(BRANCHED), "wf.fuse")
    assert not workflow.returned and [output.name for output in workflow.outputs] == ["last"]
    assert ir.needed_nodes(workflow) == {"a", "add_1", "b", "last"}  # and the loop, whose nodes it makes
    assert ir.Workflow.from_json(workflow.to_json()).returned is False
    returned, _ = compile_source(textwrap.dedent(BRANCHED) + "return last\n", "wf.fuse")
    assert returned.returned and '"returned": true' in returned.to_json()
    assert ir.Workflow.from_json(returned.to_json()).returned is True
    assert ir.needed_nodes(returned) == {"a", "last"}
    assert "'b' is not needed by any returned output" in warnings_of(textwrap.dedent(BRANCHED) + "return last\n")


def test_one_node_is_named_alone_and_a_bare_call_by_its_generated_name() -> None:
    text = """\
        from examples.ops import add

        a = add(1, 2)
        b = add(a, 3)
        c = add(a, 4)
        add(b, 5)
        return b
    """
    assert warnings_of(text) == (
        "wf.fuse:5:5: warning: 'c' is not needed by any returned output: with `return`, it does not run\n"
        "  5 | c = add(a, 4)\n"
        "    |     ^^^^^^^^^ return it too, or remove it\n"
        "wf.fuse:6:1: warning: 'add_1' is not needed by any returned output: with `return`, it does not run\n"
        "  6 | add(b, 5)\n"
        "    | ^^^^^^^^^ return it too, or remove it\n"
    )


def test_part_of_a_family_says_how_many_and_names_the_first() -> None:
    text = """\
        from examples.models import make_dataset, train, pick_best

        let models = {"knn": {"k": 5}, "tree": {"depth": 3}, "ridge": {"alpha": 0.1}}

        data = make_dataset("moons")
        for name, pars in models {
            model = train(name, pars, data[0], data[1])
        }
        best = pick_best(model["tree"])
        return best
    """
    assert warnings_of(text) == (
        "wf.fuse:7:13: warning: 2 of the 3 nodes of 'model' are not needed by any returned output "
        "(the first is 'model.knn'): with `return`, they do not run\n"
        "  7 |     model = train(name, pars, data[0], data[1])\n"
        "    |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ return 'model' whole, or remove what no output needs\n"
    )


def test_nested_loops_count_every_node_of_the_statement() -> None:
    text = """\
        from examples.ops import add

        for a in [1, 2] {
            for b in ["x", "y", "z"] {
                c = add(a, b)
            }
            d = add(a, 0)
        }
        return d
    """
    assert warnings_of(text).startswith(
        "wf.fuse:5:13: warning: 'c' (6 nodes) is not needed by any returned output: with `return`, it does not run\n")


COUNTER = """\
    from examples.counter import IncrementalSum
    from examples.ops import add

    one     = add(0, 1)
    counter = IncrementalSum(start=one)
    counter.add(one)
    total   = counter.add(2)
    counter.add(3)
    result  = add(total, 1)
    other   = IncrementalSum(start=0)
    more    = other.add(1)
    return result
"""


def test_objects_whose_methods_are_needed_are_needed_and_later_calls_are_not() -> None:
    warnings = warnings_of(COUNTER)
    heads = [line for line in warnings.splitlines() if ": warning: " in line]
    assert heads == [
        "wf.fuse:8:1: warning: 'counter_add_2' is not needed by any returned output: with `return`, it does not run",
        "wf.fuse:10:11: warning: 'other' is not needed by any returned output: with `return`, it does not run",
        "wf.fuse:11:11: warning: 'more' is not needed by any returned output: with `return`, it does not run",
    ]


def test_the_warned_nodes_are_exactly_those_a_run_leaves_out() -> None:
    for text in (PORT, COUNTER):
        workflow, warnings = compile_source(textwrap.dedent(text), "wf.fuse")
        by_statement = {node.statement for node in workflow.nodes if node.name in warned_nodes(text)}
        assert sorted(by_statement) == sorted(d.message.split("'")[1] for d in warnings)


def test_warnings_are_in_source_order_among_the_others() -> None:
    text = """\
        from examples.ops import add

        z = add(1, 2)
        a = add(3, 4)
        options {
            "nothing.*": { retries: 1 }
        }
        return a
    """
    lines = [line for line in warnings_of(text).splitlines() if ": warning: " in line]
    assert [line.split(": warning: ")[0] for line in lines] == ["wf.fuse:3:5", "wf.fuse:6:5"]
    assert "'z' is not needed" in lines[0] and "query" in lines[1]


def test_past_twenty_statements_one_warning_counts_the_rest() -> None:
    body = "\n".join(f"n{i} = add(n{i - 1}, 1)" for i in range(1, 5000))
    text = f"from examples.ops import add\n\nn0 = add(0, 1)\n{body}\nreturn n4000\n"
    _, warnings = compile_source(text, "wf.fuse")
    assert [d.message.split("'")[1] for d in warnings[:20]] == [f"n{i}" for i in range(4001, 4021)]
    assert [d.span.line if d.span else 0 for d in warnings] == list(range(4004, 4025))
    assert errors.render("wf.fuse", text, warnings[20:]) == (
        "wf.fuse:4024:9: warning: 979 more statements from here on (979 nodes) are not needed by any returned "
        "output: with `return`, they do not run\n"
        "  4024 | n4021 = add(n4020, 1)\n"
        "       |         ^^^^^^^^^^^^^ `fusec explain FILE` lists every node a run leaves out\n"
    )


def test_fusec_check_prints_it(tmp_path: Path) -> None:
    (tmp_path / "wf.fuse").write_text(textwrap.dedent(PORT), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "fuseflow.cli", "check", "wf.fuse"], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        "wf.fuse:7:13: warning: 'model' (3 nodes) is not needed by any returned output: "
        "with `return`, it does not run\n"
        "  7 |     model = train(name, pars, data[0], data[1])\n"
        "    |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ return it too, or remove it\n")
    assert result.stderr.endswith("fusec: 2 warnings\n")
