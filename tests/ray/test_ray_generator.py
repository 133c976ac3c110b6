"""The Ray generator: names and strings reach the module only as literals.

The golden Ray modules (tests/golden/<case>/wf_ray.py) are compared, with every
other target's artifact, in tests/conformance/test_golden.py.
"""
from __future__ import annotations

import ast


def test_strange_names_cannot_inject_code():
    """Node names, strings and the source path reach the module only as escaped literals."""
    from fuseflow import ir
    from fuseflow.targets.ray.generate import generate

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
