"""The Ray generator: it imports no Ray, and names and strings reach the module only as literals.

The golden Ray modules (tests/golden/<case>/wf_ray.py) are compared, with every
other target's artifact, in tests/conformance/test_golden.py.
"""
from __future__ import annotations

import ast
from pathlib import Path


def test_generator_does_not_import_ray():
    import subprocess
    import sys

    code = ("import sys; from fuseflow.compiler.frontend import compile_file; from fuseflow.compiler.targets import generator; "
            "wf, _ = compile_file('examples/counter.fuse'); generator('ray')(wf); print('ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "False", done.stderr


def test_strange_names_cannot_inject_code():
    """Node names, strings and the source path reach the module only as escaped literals."""
    from fuseflow import ir
    from fuseflow.compiler.targets.ray import generate

    evil = 'x"); import os; os.system("echo pwned'
    wf = ir.Workflow(
        name='w"""\nimport os', source='a\nimport os #.fuse',
        imports=(ir.Import("lib", "f", "f"),),
        nodes=(ir.Node(name=evil, kind="call", target="lib:f", args=(ir.Literal(evil),),
                       options={"ray": {"resources": {evil: 1}}}),),
        outputs=(ir.Output(evil, ir.Ref(evil)),),
    )
    text = generate(wf)
    tree = ast.parse(text)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "system"]
    assert calls == []
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in ast.walk(tree))
