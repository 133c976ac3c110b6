"""Generated Python reads well in a pull request: every module the local, Ray and Prefect
targets write is what `ruff format --line-length 120` writes, passes `ruff check` with ruff's
default rules, sorted imports (I) and lines of at most 120 columns (E501), and spells each
loop statement once, inside Python loops.

ruff runs from the venv of the tests (the dev extra), on copies in a folder of their own:
there, ruff counts no module the workflow imports as first-party.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fuseflow import ir
from fuseflow.compiler.frontend import compile_source
from fuseflow.targets.local import generate as local
from fuseflow.targets.prefect import generate as prefect
from fuseflow.targets.ray import generate as ray

from .sources import ROOT, sources, written

RUFF = Path(sys.executable).parent / "ruff"
GENERATORS = {"local": local, "ray": ray, "prefect": prefect}
WIDTH = 120


def ruff(*args: str, folder: Path) -> subprocess.CompletedProcess:
    if not RUFF.exists():
        pytest.skip("ruff is not installed beside this Python (pip install -e '.[dev]')")
    return subprocess.run([str(RUFF), *args, "--isolated", "--line-length", str(WIDTH), "."], cwd=folder,
                          capture_output=True, text=True, timeout=300)


def assert_ruff_clean(folder: Path) -> None:
    formatted = ruff("format", "--check", "--diff", folder=folder)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    checked = ruff("check", "--extend-select", "I,E501", "--output-format", "concise", folder=folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for path in folder.glob("*.py"):
        long = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if len(line) > WIDTH]
        assert not long, f"{path.name}: lines over {WIDTH} columns: {long}"


def test_golden_modules_are_ruff_clean(tmp_path: Path):
    for path in sorted(ROOT.glob("tests/golden/*/wf_*.py")):
        shutil.copy(path, tmp_path / f"{path.parent.name}_{path.name}")
    assert len(list(tmp_path.glob("*.py"))) >= 3 * 17
    assert_ruff_clean(tmp_path)


def test_every_generated_module_is_ruff_clean(tmp_path: Path):
    """Every .fuse of the repository and of the docs, and the loop forms of sources.EXTRA."""
    for target, generator in GENERATORS.items():
        for label, (path, text) in written(target).items():
            wf, _ = compile_source(text, path)
            (tmp_path / f"{label}_{target}.py").write_text(generator.generate(wf), encoding="utf-8")
    assert len(list(tmp_path.glob("run_time_loops_*.py"))) >= 2  # the local and Ray modules at least
    assert_ruff_clean(tmp_path)


# --- each loop statement once -------------------------------------------------------------------


def node_calls(text: str, prefix: str = "nodes") -> list[ast.Call]:
    """The rt.call / rt.obj / rt.method calls of a local module's nodes function (of the
    functions whose names start with `prefix`: `a_loop`, a run-time loop's)."""
    tree = ast.parse(text)
    functions = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name.startswith(prefix)]
    return [c for function in functions for c in ast.walk(function) if isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute) and c.func.attr in ("call", "obj", "method")]


def loop_functions(text: str) -> list[str]:
    """The names of the generator functions of a module's run-time loops (`fanouts=[rt.fanout(...)]`)."""
    return [call.args[1].id for call in ast.walk(ast.parse(text)) if isinstance(call, ast.Call)  # type: ignore[attr-defined]
            and isinstance(call.func, ast.Attribute) and call.func.attr == "fanout"]


def strings(text: str) -> set[str]:
    return {n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@pytest.mark.parametrize("label", [label for label in sources() if label not in ("undescribed", "deep_loops")])
def test_each_loop_statement_is_written_once(label: str):
    path, text = sources()[label]
    wf, _ = compile_source(text, path)
    statements = [s for _, s in ir.loop_statements(wf.loops)]
    outside = [node for node in wf.nodes if not node.keys]
    assert {node.statement for node in wf.nodes if node.keys} == {s.name for s in statements}  # all described
    for target, generator in GENERATORS.items():
        if label not in written(target):
            continue
        module = generator.generate(wf)
        if target != "prefect":
            written_nodes = node_calls(module) + node_calls(module, "final_nodes")  # `finally`'s: their own function
            assert len(written_nodes) == len(outside) + len(statements), target
            functions = loop_functions(module)  # a run-time loop's statements: once each, in its function
            assert [len(node_calls(module, name)) for name in functions] == [
                len(fanout.statements()) for fanout in wf.fanouts], target
        run_names = [kw for c in ast.walk(ast.parse(module)) if isinstance(c, ast.Call)
                     for kw in c.keywords if kw.arg == "task_run_name"]
        in_run_time_loops = sum(len(fanout.statements()) for fanout in wf.fanouts)  # its flow body's loops
        assert target != "prefect" or len(run_names) == len(outside) + len(statements) + in_run_time_loops
        members = {node.name for node in wf.nodes if node.keys and len(statement_members(wf, node)) > 1}
        # a run-time loop in a static loop is written once per iteration, reading that iteration's nodes by name
        read_by_run_time_loops = {name for fanout in wf.fanouts for name in ir.fanout_inputs(fanout)}
        spelled = members & strings(module) - picked(wf) - table_keys(module) - read_by_run_time_loops
        assert not spelled, f"{target}: a loop's nodes are spelled out: {sorted(spelled)}"
        for call in ast.walk(ast.parse(module)):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "family" \
                    and "gathered(" not in ast.unparse(call):  # run-time loops' results: one per static iteration
                assert isinstance(call.args[1], ast.DictComp), f"{target}: {ast.unparse(call)}"


def picked(wf: ir.Workflow) -> set[str]:
    """The nodes a value reads one by one (`fam["m"]["v"]`), not as a member of a family."""
    found: set[str] = set()

    def visit(value: ir.Value) -> None:
        if type(value) is ir.Ref:
            found.add(value.node)
        elif type(value) is not ir.Family:
            for inner in ir.children(value):
                visit(inner)

    for value in [*(v for node in wf.nodes for v in node.values()), *(o.value for o in wf.outputs)]:
        visit(value)
    return found


def table_keys(text: str) -> set[str]:
    """The keys of the module's option tables (`x_options = {"x.1": {...}, ...}`)."""
    return {key.value for statement in ast.parse(text).body if isinstance(statement, ast.Assign)
            and isinstance(statement.value, ast.Dict) and statement.targets[0].id.endswith("_options")  # type: ignore[attr-defined]
            for key in statement.value.keys if isinstance(key, ast.Constant)}


def statement_members(wf: ir.Workflow, node: ir.Node) -> list[ir.Node]:
    return [other for other in wf.nodes if other.statement == node.statement]


def test_a_loop_the_ir_does_not_describe_is_written_node_by_node():
    path, text = sources()["undescribed"]
    wf, _ = compile_source(text, path)
    assert wf.loops == ()
    assert len(node_calls(local.generate(wf))) == len(wf.nodes)


def test_a_run_time_loop_reads_as_its_file():
    """sources.EXTRA's run_time_loops: a generator function per loop, keyed by rt.items, a static loop
    inside as a loop; the results outside it gathered; the file's queries once, for every loop."""
    path, text = sources()["run_time_loops"]
    wf, _ = compile_source(text, path)
    module = local.generate(wf)
    assert 'def a_loop(files):\n    """`for x in files`: the nodes of each item' in module
    assert "    for x_key, x in rt.items(files):\n" in module
    assert '            yield rt.call(f"b.{x_key}.{name_key}", f, [rt.ref(f"a.{x_key}"), name, v])\n' in module
    assert "    for n_key, (n, label) in rt.items(rows, names=2):\n" in module
    assert "    for k_key, (k, size) in rt.items(sizes, names=2):\n" in module
    assert 'rt.gathered("z", "small")' in module and 'rt.gathered("d", 1)' in module
    assert 'rt.fanout(rt.param("rows"), r_loop, ["r"], names=2, queries=run_time_options)' in module
    assert module.count("run_time_options") == 1 + len(wf.fanouts)
    assert '("a\\\\..*", "neutral", {"retries": 2})' in module and '"ray"' not in module
    assert '("s\\\\..*", "ray", {"num_cpus": 2})' in ray.generate(wf)  # a target's own queries, in its module


def test_loops_nested_too_deep_are_written_node_by_node():
    path, text = sources()["deep_loops"]
    wf, _ = compile_source(text, path)
    calls = node_calls(local.generate(wf))
    assert len(calls) == 1 + 1 + 1  # x once, y's one node, z
    assert [node.statement for node in wf.nodes if node.keys] == ["x", "y"]


def test_models_example_reads_as_its_file():
    """examples/models.fuse: its loops and `let` constants, one line per statement, no long line."""
    wf, _ = compile_source((ROOT / "examples/models.fuse").read_text(encoding="utf-8"), "examples/models.fuse")
    text = local.generate(wf)
    assert "for ds in datasets:" in text and "for name, spec in models.items():" in text
    assert 'rt.ref(f"parts.{ds}", "x_train")' in text and 'spec["kind"]' in text
    assert 'rt.family("err", {ds: {name: rt.ref(f"err.{ds}.{name}") for name in models} for ds in datasets})' in text
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert len(text.splitlines()) < 80
