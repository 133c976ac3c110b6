"""The Prefect generator: it imports no Prefect, and names and strings reach the flow file only as literals.

The golden flow files (tests/golden/<case>/wf_prefect.py) are compared, with every
other target's artifact, in tests/conformance/test_golden.py.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from fuseflow import ir

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parents[2]


def test_generator_does_not_import_prefect():
    code = ("import sys; from fuseflow.compiler.frontend import compile_file; from fuseflow.compiler.targets import generator; "
            "wf, _ = compile_file('examples/counter.fuse'); generator('prefect')(wf); print('prefect' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.stdout.strip() == "False", done.stderr


def test_strange_names_cannot_inject_code():
    """Node names, strings, the workflow name and the source path reach the file only as escaped literals."""
    from fuseflow.compiler.targets.prefect_target import generate

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
