"""The Prefect generator: names and strings reach the flow file only as literals.

The golden flow files (tests/golden/<case>/wf_prefect.py) are compared, with every
other target's artifact, in tests/conformance/test_golden.py.
"""
from __future__ import annotations

import ast

import pytest

from fuseflow import ir

pytestmark = pytest.mark.prefect


def test_strange_names_cannot_inject_code():
    """Node names, strings, the workflow name and the source path reach the file only as escaped literals."""
    from fuseflow.targets.prefect.generate import generate

    evil = 'x{0}"); import os; os.system("echo pwned'
    wf = ir.Workflow(
        name='w"""\nimport os', source='a\nimport os #.fuse',
        imports=(ir.Import("lib", "f", "f"),),
        nodes=(ir.Node(name=evil, kind="call", target="lib:f", args=(ir.Literal(evil),),
                       options={"prefect": {"tags": [evil], "description": evil}}),),
        outputs=(ir.Output(evil, ir.Ref(evil)),),
    )
    text = generate(wf)
    tree = ast.parse(text)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "system"]
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in ast.walk(tree))
    run_name = next(kw.value.value for n in ast.walk(tree) if isinstance(n, ast.Call)
                    for kw in n.keywords if kw.arg == "task_run_name")
    assert run_name.format() == evil  # Prefect formats run names: braces come doubled
