"""`use "FILE" as NAME` and its calls: inlining, params, outputs, options, the errors at
their positions, and the compiled-IR cache seeing an edit of a used file."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fuseflow import ir
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.bind import bind
from fuseflow.runtime.keys import compute_keys

PREP = """
workflow prep
from examples.ops import add, minus
param n: int
param scale: float = 1.5
param cfg: dict = {"k": 5}
a = add(n, cfg["k"])
b = minus(a, scale)
options { "b": { retries: 2 } }
return b
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def errors_of(path: Path) -> str:
    with pytest.raises(CompileError) as caught:
        compile_file(path)
    return str(caught.value)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path, "lib/prep.fuse", PREP)
    return tmp_path


def test_a_call_inlines_the_nodes_prefixed_with_params_bound_and_outputs_by_name(folder):
    main = write(folder, "main.fuse", """
        workflow main
        from examples.ops import add
        use "lib/prep.fuse" as prep
        param m: int = 3
        r = prep(n=m, cfg={"k": 10}, scale=2)
        s = prep(n=1)
        t = add(r["b"], s["b"])
        options { "r\\\\..*": { retries: 1 } }
        return t
    """)
    wf, warnings = compile_file(main)
    assert warnings == []  # r.a/s.a are needed; nothing of prep.fuse warned about
    nodes = wf.node_index()
    assert list(nodes) == ["r.a", "r.b", "s.a", "s.b", "t"]
    assert nodes["r.a"].args == (ir.ParamRef("m"), ir.Literal(10))  # cfg["k"] taken at compile time
    assert nodes["r.b"].args == (ir.Ref("r.a"), ir.Literal(2.0))   # an int for a float param: the float
    assert nodes["s.b"].args == (ir.Ref("s.a"), ir.Literal(1.5))   # the default
    assert nodes["t"].args == (ir.Ref("r.b"), ir.Ref("s.b"))
    assert nodes["r.b"].options == {"neutral": {"retries": 1}}     # this file's query wins
    assert nodes["s.b"].options == {"neutral": {"retries": 2}}     # prep.fuse's own
    assert (nodes["r.b"].use, wf.stored_at(nodes["r.b"])) == ("r", ("prep", "b"))
    assert wf.uses == (ir.Use("r", "prep", "lib/prep.fuse"), ir.Use("s", "prep", "lib/prep.fuse"))
    assert ir.Workflow.from_json(wf.to_json()) == wf


def test_a_used_node_has_the_key_it_has_when_its_file_runs_alone(folder):
    main = write(folder, "main.fuse", """
        use "lib/prep.fuse" as prep
        param m: int = 3
        r = prep(n=m, cfg={"k": 10})
    """)
    composed, _ = compile_file(main)
    alone, _ = compile_file(folder / "lib" / "prep.fuse")
    keys = compute_keys(bind(composed, str(main)), {"m": 3})
    own = compute_keys(bind(alone, str(folder / "lib" / "prep.fuse")), {"n": 3, "scale": 1.5, "cfg": {"k": 10}})
    assert (keys["r.a"], keys["r.b"]) == (own["a"], own["b"])
    other = compute_keys(bind(alone, str(folder / "lib" / "prep.fuse")), {"n": 4, "scale": 1.5, "cfg": {"k": 10}})
    assert keys["r.a"] != other["a"]


def test_used_files_within_used_files_nest_their_prefixes_and_paths(folder):
    write(folder, "lib/outer.fuse", """
        workflow outer
        use "prep.fuse" as prep
        param x: int = 7
        inner = prep(n=x)
        return inner
    """)
    main = write(folder, "main.fuse", 'use "lib/outer.fuse" as outer\no = outer()\n')
    wf, _ = compile_file(main)
    assert [node.name for node in wf.nodes] == ["o.inner.a", "o.inner.b"]
    assert wf.uses == (ir.Use("o", "outer", "lib/outer.fuse"), ir.Use("o.inner", "prep", "lib/prep.fuse"))
    assert wf.stored_at(wf.node("o.inner.a")) == ("prep", "a")


ERRORS = [
    ('use "lib/nothing.fuse" as p\n', "main.fuse:1:5: error: cannot read lib/nothing.fuse: No such file or directory"),
    ('use "lib/prep.py" as p\n', "main.fuse:1:5: error: use needs a relative path to a .fuse file, not 'lib/prep.py'"),
    ('use "lib/prep.fuse" as p\nr = p(n=1, nn=2)\n', "main.fuse:2:12: error: 'nn' is not a param of lib/prep.fuse"),
    ('use "lib/prep.fuse" as p\nr = p()\n', "main.fuse:2:5: error: lib/prep.fuse needs its param 'n' (int)"),
    ('use "lib/prep.fuse" as p\nr = p(n="x")\n', "main.fuse:2:9: error: param 'n' is declared int, but this is str"),
    ('use "lib/prep.fuse" as p\nr = p(1)\n', "main.fuse:2:7: error: a used workflow's params are passed by name"),
    ('from examples.ops import add\nuse "lib/prep.fuse" as p\nr = p(n=1)\nx = add(r["c"], 1)\n',
     """main.fuse:4:11: error: lib/prep.fuse has no output 'c'"""),
    ('from examples.ops import add\nuse "lib/prep.fuse" as p\nr = p(n=1)\nx = add(r, 1)\n',
     "main.fuse:4:9: error: 'r' is a call of a used workflow: name one of its outputs"),
    ('use "lib/prep.fuse" as p\nfor i in [1, 2] {\n    r = p(n=i)\n}\n',
     "main.fuse:3:9: error: a used workflow is called outside `for` loops"),
    ('from examples.ops import add\nuse "lib/prep.fuse" as p\nparam go: bool = true\nif go {\n    r = p(n=1)\n}\n'
     'x = add(r["b"], 1)\n',
     "main.fuse:7:9: error: 'r' is made inside an `if` branch, and may not exist here"),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS, ids=[e.split(": error: ")[1][:40] for _, e in ERRORS])
def test_mistakes_are_errors_at_their_position(folder, text, expected):
    assert expected in errors_of(write(folder, "main.fuse", text))


def test_a_cycle_of_use_is_an_error_at_the_use_that_closes_it(folder):
    write(folder, "a.fuse", 'use "b.fuse" as b\nx = b()\n')
    write(folder, "b.fuse", 'use "a.fuse" as a\ny = a()\n')
    found = errors_of(folder / "a.fuse")
    assert "b.fuse:1:5: error: a cycle of `use`: " in found
    assert found.index("a.fuse ->") < found.index("b.fuse ->")


def test_an_error_inside_a_used_file_points_into_that_file(folder):
    write(folder, "lib/broken.fuse", "from examples.ops import add\nx = add(y)\n")
    found = errors_of(write(folder, "main.fuse", 'use "lib/broken.fuse" as b\nr = b()\n'))
    assert "broken.fuse:2:9: error: undefined name 'y'" in found and "main.fuse" not in found


def test_the_ir_cache_compiles_again_when_a_used_file_changes(folder, tmp_path):
    main = write(folder, "main.fuse", 'use "lib/prep.fuse" as prep\nr = prep(n=1)\nreturn r\n')
    write(folder, "main.fuse", """
        from examples.ops import add
        use "lib/prep.fuse" as prep
        r = prep(n=1)
        out = add(r["b"], 0)
        return out
    """)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(Path.cwd())}
    command = [sys.executable, "-m", "fuseflow.cli", "run", str(main), "--no-cache", "--json"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.strip() == '{"out": 4.5}'  # 1 + 5 - 1.5
    write(folder, "lib/prep.fuse", PREP.replace("param scale: float = 1.5", "param scale: float = 0.5"))
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert again.stdout.strip() == '{"out": 5.5}'


def test_a_call_returned_whole_is_a_dict_of_its_outputs_and_an_alias_its_value(folder):
    main = write(folder, "main.fuse", """
        use "lib/prep.fuse" as prep
        r = prep(n=1)
        b = r["b"]
        return r, b
    """)
    wf, _ = compile_file(main)
    assert wf.outputs == (ir.Output("r", ir.DictOf((("b", ir.Ref("r.b")),))), ir.Output("b", ir.Ref("r.b")))


def test_a_call_in_an_if_branch_puts_its_nodes_and_its_ifs_in_that_branch(folder):
    write(folder, "lib/part.fuse", """
        workflow part
        from examples.ops import add, minus
        param n: int
        a = add(n, 1)
        if a > 2 { b = add(a, 1) } else { b = minus(a, 1) }
        return b
    """)
    main = write(folder, "main.fuse", """
        workflow main
        from examples.ops import add
        use "lib/part.fuse" as part
        param go: bool = true
        if go {
            r = part(n=3)
            out = add(r["b"], 0)
        } else {
            out = add(1, 0)
        }
    """)
    wf = compile_file(main)[0]
    assert {node.name: node.when for node in wf.nodes} == {
        "r.a": (ir.Branch("if-1", 0),),
        "r.b.if": (ir.Branch("if-1", 0), ir.Branch("r.if-1", 0)),
        "r.b.else": (ir.Branch("if-1", 0), ir.Branch("r.if-1", 1)),
        "out.if": (ir.Branch("if-1", 0),), "out.else": (ir.Branch("if-1", 1),)}
    assert {d.name: d.when for d in wf.decisions} == {"r.if-1": (ir.Branch("if-1", 0),), "if-1": ()}
