"""Hostile text on the KFP target: file names that would end a comment in a step's
program, strings KFP would read as placeholders. Each runs under kfp.local (as
`fusec run --target kfp` does) and must give what the local target gives."""
from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from kfp_helpers import parse

pytestmark = [pytest.mark.kfp, pytest.mark.slow]

OPS = "def join(*parts):\n    return '|'.join(str(p) for p in parts)\n"


def fusec(folder, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fuseflow.cli", *args], cwd=folder, capture_output=True,
                          text=True, timeout=300)


def programs(text: str) -> list[str]:
    spec, _ = parse(text)
    return [executor["container"]["command"][-1] for executor in spec["deploymentSpec"]["executors"].values()]


@pytest.mark.parametrize("name", [
    "k\rimport os;os.system(\"touch MARKER\")\r#.fuse",
    "n\nimport os;os.system('touch MARKER')\n#.fuse",
    "u\u2028import os;os.system('touch MARKER')\x85#{{$}}.fuse",
], ids=["cr", "newline", "separators"])
def test_a_hostile_file_name_never_becomes_code_in_a_step(tmp_path, name):
    (tmp_path / "ops.py").write_text(OPS, encoding="utf-8")
    (tmp_path / name).write_text("workflow w\nfrom ops import join\nx = join(1, 2)\nreturn x\n", encoding="utf-8")
    compiled = fusec(tmp_path, "compile", name, "--target", "kfp")
    assert compiled.returncode == 0, compiled.stderr
    for program in programs(compiled.stdout):
        ast.parse(program)
        assert program.splitlines()[0].startswith("# fuseflow step: call ops:join (fusec ")
        assert "import os" not in "\n".join(program.splitlines()[1:])
    done = fusec(tmp_path, "run", name, "--target", "kfp", "--no-cache", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"x": "1|2"}
    assert not (tmp_path / "MARKER").exists()


# What kfp.local and a KFP backend substitute: every placeholder kind, the workspace
# path, a channel reference, a json_escape (which kfp.local refuses), fuseflow's own prefix.
PLACEHOLDERS = [
    "{{$}}", "{{$.pipeline_job_name}}", "{{$.pipeline_job_resource_name}}", "{{$.pipeline_job_uuid}}",
    "{{$.pipeline_task_name}}", "{{$.pipeline_task_uuid}}", "{{$.pipeline_root}}", "{{$.outputs.output_file}}",
    "{{$.outputMetadataUri}}", "{{$.pipeline_job_create_time_utc}}", "{{$.workspace_path}}", "/kfp-workspace/x",
    "{{$.inputs.parameters['arg0_1']}}", "{{$.inputs.parameters['fuseflow_node']}}",
    "{{$.inputs.artifacts['arg1'].path}}", "{{$.outputs.artifacts['result'].uri}}",
    "{{$.inputs.parameters['arg0_1'].json_escape[0]}}", "{{channel:task=;name=p;type=String;}}",
    "x{{$.pipeline_job_name}}y", "fuseflow-json:\"\"",
]
CRAFTED = "'); __import__('os').system('touch MARKER'); ('"


def fuse_string(text: str) -> str:
    return json.dumps(text)


def placeholder_workflow() -> str:
    listed = ", ".join(fuse_string(p) for p in PLACEHOLDERS)
    keyed = ", ".join(f"{fuse_string(p)}: p" for p in PLACEHOLDERS)
    return "\n".join([
        "workflow placeholders",
        "from hostile_ops import show",
        f"param p: str = {fuse_string(PLACEHOLDERS[1])}",
        f"param l: list = [{listed}]",
        f"param d: dict = {{{keyed.replace(': p', ': 1')}}}",
        f"top = show({listed}, l, d)",
        f"nested = show([{fuse_string(PLACEHOLDERS[12])}, p], top, [{listed}, p], {{{keyed}}}, key={{{keyed}}})",
        f"for k, v in {{{fuse_string(PLACEHOLDERS[0])}: {fuse_string(PLACEHOLDERS[3])}, \"b\": [{listed}]}} {{",
        "    looped = show(k, v, p)",
        "}",
        "return top, nested, looped",
        "",
    ])


SHOW = "def show(*args, **kwargs):\n    return [list(args), kwargs]\n"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """tmp_path as the working directory; the module the test imports is forgotten after it."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    sys.modules.pop("hostile_ops", None)


@pytest.mark.parametrize("params", [{}, {"p": CRAFTED, "l": json.dumps(PLACEHOLDERS)}], ids=["defaults", "given"])
def test_placeholders_in_literals_and_params_reach_the_step_as_written(in_tmp, params):
    from fuseflow.compiler.frontend import compile_file
    from fuseflow.runtime.execute import RunSettings
    from fuseflow.targets import get as get_target
    from fuseflow.targets.kfp import generate as kfp_target

    tmp_path = in_tmp
    (tmp_path / "hostile_ops.py").write_text(SHOW, encoding="utf-8")
    path = tmp_path / "placeholders.fuse"
    path.write_text(placeholder_workflow(), encoding="utf-8")
    workflow, _ = compile_file(path)
    settings = RunSettings(progress=False, no_cache=True, param_texts=params)
    expected = get_target("local").run(workflow, str(path), settings, None)
    assert expected["top"][0][:len(PLACEHOLDERS)] == PLACEHOLDERS
    assert kfp_target.run(workflow, str(path), settings, None) == expected
    assert not (tmp_path / "MARKER").exists()
