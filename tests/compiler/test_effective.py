"""What each target applies of a node's options (`fusec nodes --target T`):
neutral options in the target's own names, the target's block winning, what the
runtime does on the worker, and what the target ignores; always what the
generated code does."""
from __future__ import annotations

import ast
import re
import shlex
import textwrap
from pathlib import Path

import pytest

from fuseflow.codegen import pyexpr
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.targets import get as get_target
from fuseflow.targets.kfp import options as kfp_options
from fuseflow.targets.prefect import generate as prefect_target
from fuseflow.targets.ray import generate as ray


def applied(target, node, wf):
    """What the registered target applies of the node's options."""
    return get_target(target).applied(node, wf)

OPTIONS = Path(__file__).resolve().parents[2] / "tests/golden/options/input.fuse"


def workflow(text: str):
    wf, _ = compile_source(textwrap.dedent(text), "wf.fuse")
    return wf


def node_options(text: str, target: str) -> dict[str, dict]:
    wf = workflow(text)
    return {node.name: applied(target, node, wf).as_dict() for node in wf.nodes}


COUNTER = """
    from ops import add, Counter
    a = add(1, 2)
    c = Counter()
    c.add(a)
    options { ".*": { retries: 2, retry_delay: "5s", cpus: 2, memory: "1Gi", env: {"A": "1", "B": "1"}, seed: 1 } }
"""


# --- ray ------------------------------------------------------------------------------------


def test_ray_maps_neutral_names_and_its_own_block_wins():
    shown = node_options(COUNTER + """
        options ray { "a": { num_cpus: 4, runtime_env: {"env_vars": {"B": "2"}, "pip": ["x"]} } }
    """, "ray")
    assert shown["a"] == {
        "ray": {"max_retries": 2, "memory": 2**30, "num_cpus": 4, "retry_exceptions": True,
                "runtime_env": {"env_vars": {"A": "1", "B": "2"}, "pip": ["x"]}},
        "runtime": {"seed": 1},
        "ignored": {"retry_delay": 5.0},
    }


def test_ray_objects_and_methods():
    shown = node_options(COUNTER + 'options ray { "c.*": { max_retries: 1 } }', "ray")
    assert shown["c"] == {  # an actor: the runtime retries its constructor; max_retries is for tasks
        "ray": {"memory": 2**30, "num_cpus": 2, "runtime_env": {"env_vars": {"A": "1", "B": "1"}}},
        "runtime": {"retries": 2, "retry_delay": 5.0, "seed": 1},
        "ignored": {"max_retries": 1},
    }
    assert shown["c_add_1"] == {  # runs in the actor: no Ray options of its own
        "runtime": {"env": {"A": "1", "B": "1"}, "retries": 2, "retry_delay": 5.0, "seed": 1},
        "ignored": {"cpus": 2, "max_retries": 1, "memory": 2**30},
    }


def test_ray_own_retry_exceptions_wins_over_the_default_retries_bring():
    shown = node_options(COUNTER + 'options ray { "a": { retry_exceptions: false } }', "ray")
    assert shown["a"]["ray"]["retry_exceptions"] is False and shown["a"]["ray"]["max_retries"] == 2


def test_ray_reasons_say_why():
    wf = workflow(COUNTER + 'options ray { "a": { max_restarts: 1 } }')
    reasons = {node.name: applied("ray", node, wf).reasons for node in wf.nodes}
    assert reasons["a"]["retry_delay"] == "Ray retries a failed task at once; it has no retry delay"
    assert reasons["a"]["max_restarts"] == "Ray takes it for object nodes (actors) only"
    assert "object's actor" in reasons["c_add_1"]["cpus"]


def passed(text: str, call: str, name_keyword: str | None) -> list[tuple]:
    """(the node names a call stands for, its keywords as source) for each `call(...)` of a generated
    module (its name is its first argument, or the keyword `name_keyword`); keywords spread from an
    options table (`**x_options[f"x.{i}"]`) are looked up by node name in the table."""
    tree = ast.parse(text)
    tables = {statement.targets[0].id: {key.value: value for key, value in zip(statement.value.keys,
                                                                              statement.value.values, strict=True)}
              for statement in tree.body if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict)
              and getattr(statement.targets[0], "id", "").endswith("_options")}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == call):
            continue
        name = node.args[0] if name_keyword is None else next(k.value for k in node.keywords if k.arg == name_keyword)
        parts = name.values if isinstance(name, ast.JoinedStr) else [name]
        pattern = re.compile("".join(re.escape(p.value) if isinstance(p, ast.Constant) else "[^.]+" for p in parts))
        keywords = {k.arg: k.value for k in node.keywords if k.arg and k.arg != name_keyword}
        spread = [k.value for k in node.keywords if k.arg is None]
        found.append((pattern, keywords, spread, tables))
    return found


def keywords_of(text: str, call: str, name_keyword: str | None, node_name: str) -> dict[str, str]:
    matches = [(k, spread, tables) for pattern, k, spread, tables in passed(text, call, name_keyword)
               if pattern.fullmatch(node_name)]
    assert len(matches) == 1, node_name
    keywords, spread, tables = matches[0]
    keywords = dict(keywords)
    for value in spread:  # table[name]
        row = tables[value.value.id][node_name]
        keywords.update({key.value: item for key, item in zip(row.keys, row.values, strict=True)})
    return {key: ast.unparse(value) for key, value in keywords.items()}


def source_of(value) -> str:
    return ast.unparse(ast.parse(pyexpr.literal(value), mode="eval").body)


def test_ray_is_what_the_generated_module_passes():
    wf, _ = compile_source(OPTIONS.read_text(), "input.fuse")
    text = ray.generate(wf)
    for node in wf.nodes:
        shown = applied("ray", node, wf)
        passes = keywords_of(text, node.kind if node.kind != "object" else "obj", None, node.name)
        assert passes == {"options": source_of(shown.runtime), "ray": source_of(shown.own)}


# --- prefect ---------------------------------------------------------------------------------


def test_prefect_maps_neutral_names_and_its_own_block_wins():
    shown = node_options(COUNTER + """
        options { "a": { timeout: "1m" } }
        options prefect { "a": { retries: 5, version: "2", cache_policy: "inputs" } }
    """, "prefect")
    assert shown["a"] == {
        "prefect": {"cache_policy": "inputs", "persist_result": True, "retries": 5, "retry_delay_seconds": 5.0,
                    "timeout_seconds": 60.0, "version": "2"},
        "runtime": {"env": {"A": "1", "B": "1"}, "seed": 1},
        "ignored": {"cpus": 2, "memory": 2**30},
    }
    wf = workflow(COUNTER)
    reasons = applied("prefect", wf.nodes[0], wf).reasons
    assert reasons["cpus"] == "a Prefect task reserves no CPUs, GPUs or memory per node"


def test_prefect_is_what_the_flow_file_passes():
    wf, _ = compile_source(OPTIONS.read_text(), "input.fuse")
    text = prefect_target.generate(wf)
    for node in wf.nodes:
        own = applied("prefect", node, wf).own
        assert keywords_of(text, "with_options", "task_run_name", node.name) == {
            key: source_of(value) for key, value in own.items()}


# --- kfp --------------------------------------------------------------------------------------


def test_kfp_maps_neutral_names_adds_workflow_defaults_and_its_own_block_wins():
    shown = node_options(COUNTER + """
        options kfp {
            ".*": { cpu_request: "500m", packages: ["numpy"] }
            "c": { image: "python:3.12-slim" }
            workflow: { image: "python:3.11-slim", packages: ["pandas"] }
        }
    """, "kfp")
    assert shown["a"] == {
        "kfp": {"cpu_request": "500m", "env": {"A": "1", "B": "1"}, "image": "python:3.11-slim",
                "memory_request": 2**30, "packages": ["pandas", "numpy"], "retries": 2, "retry_backoff_duration": 5},
        "runtime": {"seed": 1},
    }
    assert shown["c"]["kfp"]["image"] == "python:3.12-slim"


def test_kfp_is_what_the_step_gets():
    wf, _ = compile_source(OPTIONS.read_text(), "input.fuse")
    for node in wf.nodes:
        shown = applied("kfp", node, wf)
        settings = kfp_options.settings(node, wf)
        assert settings.container == kfp_options.container_settings(shown.own)
        assert settings.task == kfp_options.task_settings(shown.own)
        assert settings.platform == kfp_options.platform_settings(shown.own)
        assert settings.step == shown.runtime


def test_kfp_refuses_what_it_cannot_express_as_its_compiler_does():
    wf = workflow('from ops import add\na = add(1, 2)\noptions { "a": { gpus: 0.5 } }\n')
    with pytest.raises(CompileError) as refused:
        applied("kfp", wf.nodes[0], wf)
    assert "node 'a' cannot run on kfp: option 'gpus' cannot be used on kfp as given" in str(refused.value)


# --- docs/options.md ----------------------------------------------------------------------------


def test_the_example_in_docs_options_md(tmp_path: Path, monkeypatch, capsys):
    """The `fusec nodes --target` lines of docs/options.md, run on its first example's options."""
    from fuseflow.cli import main

    doc = (Path(__file__).resolve().parents[2] / "docs/options.md").read_text()
    options = doc.split("```fuse")[1].split("\n", 1)[1].split("```")[0]  # ```fuse fragment init_worker
    nodes = ('from ops import load, train, init_worker\n'
             'for ds in ["moons"] {\n    data = load(ds)\n    model = train(data)\n}\n')
    (tmp_path / "pipeline.fuse").write_text(nodes + options)
    monkeypatch.chdir(tmp_path)
    example = doc.split("## What a target applies")[1].split("```text\n")[1].split("```")[0]
    for command in example.split("$ ")[1:]:
        line, _, expected = command.partition("\n")
        assert main(shlex.split(line)[1:]) == 0
        shown = capsys.readouterr()
        assert shown.out + shown.err == expected
