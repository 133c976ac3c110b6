"""The IR: plain data that survives JSON, byte-identical from run to run."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fuseflow import ir
from fuseflow.compiler.frontend import compile_file, compile_source
from fuseflow.ir import Node, Workflow

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = sorted(ROOT.glob("tests/golden/*/input.fuse")) + sorted(ROOT.glob("examples/*.fuse"))


def compiled(path: Path) -> Workflow:
    workflow, _ = compile_file(path.relative_to(ROOT))
    return workflow


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_json_round_trip(path: Path, in_root: Path):
    workflow = compiled(path)
    text = workflow.to_json()
    back = Workflow.from_json(text)
    assert back == workflow
    assert back.to_json() == text


def test_round_trip_keeps_types():
    """Tuples stay tuples and floats stay floats after a trip through JSON."""
    workflow, _ = compile_source('from m import f\nx = f(1.0, 2, [3.5], k={"a": none})\n', "t.fuse")
    back = Workflow.from_json(workflow.to_json())
    node = back.node("x")
    assert isinstance(node.args, tuple) and isinstance(node.kwargs, tuple) and isinstance(node.span, tuple)
    assert node.args[0] == ir.Literal(1.0) and type(node.args[0].value) is float
    assert type(node.args[1].value) is int
    assert node.kwargs == (("k", ir.Literal({"a": None})),)


def test_index_paths_are_tuples_and_values_typed_records():
    """A path is a tuple in memory, compiled or read back from JSON (a list only in JSON)."""
    source = 'from m import f\nparam p: list\na = f(p, p[0])\nb = f(a, a["k"][1], [a])\n'
    workflow, _ = compile_source(source, "t.fuse")
    for wf in (workflow, Workflow.from_json(workflow.to_json())):
        args = wf.node("a").args + wf.node("b").args
        assert [getattr(value, "path", None) for value in args] == [(), (0,), (), ("k", 1), None]
        assert args[:4] == (ir.ParamRef("p"), ir.ParamRef("p", (0,)), ir.Ref("a"), ir.Ref("a", ("k", 1)))
        assert args[4] == ir.ListOf((ir.Ref("a"),))
    assert Workflow.from_json(workflow.to_json()) == workflow


def test_equal_scalars_share_one_value_and_keep_their_types():
    """A fan-out passes the same constant to every node: one record, read-only, for all."""
    source = 'from m import f\nparam p: int\nfor i in [1, 2] {\n    x = f(p, 1, true, 1.0, k="s")\n}\n'
    workflow, _ = compile_source(source, "t.fuse")
    first, second = workflow.node("x.1"), workflow.node("x.2")
    values = [*first.args, first.kwargs[0][1]], [*second.args, second.kwargs[0][1]]
    assert all(a is b for a, b in zip(*values, strict=True))
    assert [type(value.value) for value in first.args[1:]] == [int, bool, float]
    assert first.target is second.target


def test_other_ir_versions_are_refused():
    data = json.loads(compile_source("from m import f\nx = f()\n", "t.fuse")[0].to_json())
    data["fuseflow_ir"] = 99
    with pytest.raises(ValueError, match="unsupported IR version 99"):
        Workflow.from_json(json.dumps(data))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiling_twice_gives_the_same_bytes(path: Path, in_root: Path):
    assert compiled(path).to_json().encode() == compiled(path).to_json().encode()


def test_same_bytes_in_another_process_and_hash_seed(in_root: Path):
    """Nothing depends on set or dict iteration order of one interpreter run."""
    path = "tests/golden/options/input.fuse"
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-m", "fuseflow.cli", "compile", path, "--target", "ir"],
            capture_output=True, cwd=in_root, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin",
                                                   "PYTHONPATH": str(in_root)}, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_nodes_are_in_topological_order(in_root: Path):
    for path in SOURCES:
        seen: set[str] = set()
        for node in compiled(path).nodes:
            assert set(node.dependencies()) <= seen, (path, node.name)
            seen.add(node.name)


# --- Node.dependencies ---------------------------------------------------------


def test_dependencies_data_then_order_without_repeats():
    node = Node(
        name="m3", kind="method", target="add", object="obj",
        args=(ir.Ref("a", (0,)), ir.Literal(1), ir.ParamRef("p")),
        kwargs=(("k", ir.ListOf((ir.Ref("b"), ir.Ref("a")))),
                ("d", ir.DictOf((("x", ir.Ref("c", ("y",))),)))),
        after=("m2", "a"),
    )
    assert node.dependencies() == ["obj", "a", "b", "c", "m2"]


def test_dependencies_of_a_family_are_all_its_members():
    family = ir.Family("acc", (
        ("moons", ir.Family("acc", (("knn", ir.Ref("acc.moons.knn")), ("tree", ir.Ref("acc.moons.tree"))))),
        ("circles", ir.Family("acc", (("knn", ir.Ref("acc.circles.knn")),))),
    ))
    node = Node(name="best", kind="call", target="m:pick", args=(family,))
    assert node.dependencies() == ["acc.moons.knn", "acc.moons.tree", "acc.circles.knn"]


def test_dependencies_ignore_literals_params_and_callables():
    node = Node(name="x", kind="call", target="m:f",
                args=(ir.Literal({"ref": "not-a-node"}), ir.ParamRef("p"), ir.Imported("m:g")))
    assert node.dependencies() == []


def test_dependencies_of_compiled_methods(in_root: Path):
    workflow = compiled(ROOT / "tests/golden/counter/input.fuse")
    assert workflow.node("counter").dependencies() == ["one"]
    assert workflow.node("counter_add_1").dependencies() == ["counter", "two"]
    assert workflow.node("counter_add_2").dependencies() == ["counter", "two", "counter_add_1"]
    assert workflow.node("six").dependencies() == ["counter", "one", "counter_add_2"]
    assert workflow.node("result").dependencies() == ["six"]


def test_referenced_params():
    value = ir.ListOf((ir.ParamRef("a"), ir.DictOf((("k", ir.ParamRef("b", (0,))),)), ir.Literal(1)))
    assert list(ir.referenced_params(value)) == ["a", "b"]


# --- the JSON layout -------------------------------------------------------------


def test_short_values_on_one_line_long_ones_spread():
    text = ir.dumps({"short": [1, 2, 3], "long": ["x" * 40, "y" * 40, "z" * 40], "empty": {}})
    assert text == (
        '{\n'
        '  "short": [1, 2, 3],\n'
        '  "long": [\n'
        f'    "{"x" * 40}",\n'
        f'    "{"y" * 40}",\n'
        f'    "{"z" * 40}"\n'
        '  ],\n'
        '  "empty": {}\n'
        '}'
    )
    assert json.loads(text) == {"short": [1, 2, 3], "long": ["x" * 40, "y" * 40, "z" * 40], "empty": {}}


def test_no_line_is_longer_than_the_width_unless_it_cannot_be_split(in_root: Path):
    for path in SOURCES:
        for line in compiled(path).to_json().splitlines():
            if len(line) > ir.JSON_WIDTH:
                # only a scalar (a long string) may run over
                assert line.rstrip(",").split(": ", 1)[-1][0] not in "[{", (path, line)


def test_non_ascii_is_written_as_is():
    workflow, _ = compile_source('from m import f\nx = f("\\u00e9t\\u00e9")\n', "t.fuse")
    assert '"été"' in workflow.to_json()


# --- graphs -------------------------------------------------------------------------------


def test_graph_edges_dashed_only_for_pure_ordering():
    from fuseflow.compiler.graph import to_dot, to_mermaid

    workflow, _ = compile_source("from m import C\nc = C()\nx = c.add(1)\nc.add(2)\ny = c.add(x)\n", "g.fuse")
    dot = to_dot(workflow)
    assert '"x" -> "c_add_1" [style=dashed];' in dot  # order only
    assert '"c_add_1" -> "y" [style=dashed];' in dot
    assert '"c" -> "y";' in dot and '"c" -> "x";' in dot
    workflow, _ = compile_source("from m import C\nc = C()\nx = c.add(1)\ny = c.add(x)\n", "g.fuse")
    assert '"x" -> "y";' in to_dot(workflow)  # data flows too: a solid edge
    assert "n1 --> n2" in to_mermaid(workflow) and "-.->" not in to_mermaid(workflow)


def test_graph_labels_are_escaped():
    from fuseflow.compiler.graph import to_dot, to_mermaid

    workflow = Workflow(name='w"x', source="s", nodes=(Node(name="a", kind="call", target='m:f<"&>'),))
    assert 'digraph "w\\"x" {' in to_dot(workflow)
    assert '"a" [label="a\\nm.f<\\"&>"];' in to_dot(workflow)
    assert 'n0["a<br/>m.f#lt;#quot;#amp;#gt;"]' in to_mermaid(workflow)
