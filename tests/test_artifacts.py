"""Generated artifacts kept in git: `fusec compile --check` and `fusec build [--check]`
(issue 16 items 1 and 2), run as a user runs them: `fusec` in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WORKFLOW = """workflow small
from ops import add
param a: int = 1
let n = 2
s = add(a, n)
return s
"""
OPS = "def add(a, b):\n    return a + b\n"


def fusec(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cwd / ".cache")}
    result = subprocess.run([sys.executable, "-m", "fuseflow.cli", *args], capture_output=True, text=True,
                            cwd=cwd, env=env, timeout=120)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "small.fuse").write_text(WORKFLOW)
    (tmp_path / "flows" / "ops.py").write_text(OPS)
    return tmp_path


# --- fusec compile --check -----------------------------------------------------------


def test_compile_check_passes_on_the_file_compile_wrote_and_writes_nothing(project: Path):
    assert fusec("compile", "flows/small.fuse", "-t", "local", "-o", "out/small.py", cwd=project).returncode == 0
    written = (project / "out" / "small.py").stat()
    result = fusec("compile", "flows/small.fuse", "-t", "local", "-o", "out/small.py", "--check", cwd=project)
    assert (result.returncode, result.stdout) == (0, "")
    assert (project / "out" / "small.py").stat().st_mtime_ns == written.st_mtime_ns


def test_compile_check_fails_with_a_diff_when_the_source_changed(project: Path):
    fusec("compile", "flows/small.fuse", "-t", "ir", "-o", "small.json", cwd=project)
    before = (project / "small.json").read_text()
    (project / "flows" / "small.fuse").write_text(WORKFLOW.replace("let n = 2", "let n = 3"))
    result = fusec("compile", "flows/small.fuse", "-t", "ir", "-o", "small.json", "--check", cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith("--- small.json (as it is)\n+++ small.json (as fusec writes it)\n")
    changed = [line for line in result.stdout.splitlines() if line[:1] in "+-" and line[1:2] not in "+-"]
    assert len(changed) == 2 and '{"literal": 2}' in changed[0] and '{"literal": 3}' in changed[1]
    assert "small.json is stale" in result.stderr
    assert (project / "small.json").read_text() == before  # --check writes nothing


def test_compile_check_of_a_missing_or_hand_edited_file(project: Path):
    missing = fusec("compile", "flows/small.fuse", "-t", "kfp", "-o", "small.yaml", "--check", cwd=project)
    assert missing.returncode == 1 and missing.stdout.startswith("--- small.yaml (missing)\n")
    assert not (project / "small.yaml").exists()
    fusec("compile", "flows/small.fuse", "-t", "kfp", "-o", "small.yaml", cwd=project)
    with open(project / "small.yaml", "a") as f:
        f.write("# a hand edit, no newline at the end")
    edited = fusec("compile", "flows/small.fuse", "-t", "kfp", "-o", "small.yaml", "--check", cwd=project)
    assert edited.returncode == 1
    assert "-# a hand edit, no newline at the end\n\\ No newline at end of file\n" in edited.stdout


def test_compile_check_needs_an_output_and_a_valid_file(project: Path):
    no_output = fusec("compile", "flows/small.fuse", "-t", "local", "--check", cwd=project)
    assert no_output.returncode == 2 and "give -o OUT" in no_output.stderr
    (project / "bad.fuse").write_text("workflow bad\nx = \n")
    bad = fusec("compile", "bad.fuse", "-t", "local", "-o", "bad.py", "--check", cwd=project)
    assert bad.returncode == 1 and "bad.fuse:2:" in bad.stderr and not (project / "bad.py").exists()


# --- fusec build -------------------------------------------------------------------------


PYPROJECT = """[project]
name = "demo"

[[tool.fuseflow.artifacts]]
source = "flows/small.fuse"
target = "local"
output = "generated/small_local.py"

[[tool.fuseflow.artifacts]]
source = "flows/small.fuse"
target = "kfp"
output = "generated/small.yaml"
defines = { n = "10" }
"""


def test_build_writes_every_artifact_as_compile_does_from_the_project_folder(project: Path, tmp_path_factory):
    (project / "pyproject.toml").write_text(PYPROJECT)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = fusec("build", "--project", str(project), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "wrote generated/small_local.py" in result.stderr
    by_compile = fusec("compile", "flows/small.fuse", "-t", "kfp", "-D", "n=10", cwd=project).stdout
    assert (project / "generated" / "small.yaml").read_text() == by_compile
    by_compile = fusec("compile", "flows/small.fuse", "-t", "local", cwd=project).stdout
    assert (project / "generated" / "small_local.py").read_text() == by_compile
    check = fusec("build", "--check", cwd=project)
    assert (check.returncode, check.stdout) == (0, "")
    assert "2 artifacts up to date" in check.stderr


def test_build_check_lists_every_stale_and_missing_artifact(project: Path):
    (project / "pyproject.toml").write_text(PYPROJECT)
    fusec("build", cwd=project)
    (project / "generated" / "small.yaml").unlink()
    (project / "flows" / "small.fuse").write_text(WORKFLOW.replace("param a: int = 1", "param a: int = 5"))
    result = fusec("build", "--check", cwd=project)
    assert result.returncode == 1
    assert "--- generated/small_local.py (as it is)" in result.stdout
    assert "--- generated/small.yaml (missing)" in result.stdout
    assert "2 stale or missing" in result.stderr
    assert not (project / "generated" / "small.yaml").exists()


def test_build_reports_the_errors_of_every_file_not_the_first(project: Path):
    (project / "flows" / "bad1.fuse").write_text("workflow bad1\nx = \n")
    (project / "flows" / "bad2.fuse").write_text("workflow bad2\ny = nothing(1)\n")
    (project / "pyproject.toml").write_text(
        "".join(f'[[tool.fuseflow.artifacts]]\nsource = "flows/{name}.fuse"\ntarget = "ir"\noutput = "{name}.json"\n'
                for name in ("bad1", "small", "bad2"))
        + '[[tool.fuseflow.artifacts]]\nsource = "flows/small.fuse"\ntarget = "nope"\noutput = "x"\n')
    result = fusec("build", cwd=project)
    assert result.returncode == 1
    assert "flows/bad1.fuse:2:" in result.stderr and "flows/bad2.fuse:2:" in result.stderr
    assert "unknown target 'nope'" in result.stderr
    assert "3 could not be compiled" in result.stderr
    assert (project / "small.json").exists()  # the good one is still written


@pytest.mark.parametrize(("text", "message"), [
    (None, "no pyproject.toml in"),
    ('[project]\nname = "x"\n', "lists no artifacts"),
    ("[tool.fuseflow\n", "pyproject.toml: "),
    ('[[tool.fuseflow.artifacts]]\nsource = "a.fuse"\ntarget = "ir"\n', "artifact 1: `output` must be"),
    ('[[tool.fuseflow.artifacts]]\nsource = "a.fuse"\ntarget = "ir"\noutput = "a"\nsorce = "b"\n',
     "artifact 1: unknown key 'sorce'"),
    ('[[tool.fuseflow.artifacts]]\nsource = "a.fuse"\ntarget = "ir"\noutput = "a"\ndefines = ["n=1"]\n',
     "`defines` must be a table"),
])
def test_a_bad_project_file_is_a_usage_error(project: Path, text: str | None, message: str):
    if text is not None:
        (project / "pyproject.toml").write_text(text)
    result = fusec("build", "--check", cwd=project)
    assert result.returncode == 2
    assert message in result.stderr


def test_defines_that_are_not_strings_are_written_as_json(project: Path):
    (project / "flows" / "loop.fuse").write_text(
        'workflow loop\nfrom ops import add\nlet sizes = [1]\nfor s in sizes {\n  x = add(s, 1)\n}\nreturn x\n')
    (project / "pyproject.toml").write_text(
        '[[tool.fuseflow.artifacts]]\nsource = "flows/loop.fuse"\ntarget = "ir"\noutput = "loop.json"\n'
        "defines = { sizes = [1, 2, 3] }\n")
    assert fusec("build", cwd=project).returncode == 0
    by_compile = fusec("compile", "flows/loop.fuse", "-t", "ir", "-D", "sizes=[1, 2, 3]", cwd=project).stdout
    assert (project / "loop.json").read_text() == by_compile
    assert '"x.3"' in by_compile


def test_compile_from_another_folder_finds_embedded_modules_beside_the_file(project: Path, tmp_path_factory):
    (project / "flows" / "small.fuse").write_text(
        WORKFLOW + 'options kfp { workflow: { embed_modules: ["ops"] } }\n')
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = fusec("compile", str(project / "flows" / "small.fuse"), "-t", "kfp", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "def add(a, b)" in result.stdout  # ops.py, embedded from beside the .fuse file
