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
