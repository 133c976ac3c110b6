"""`fusec explain` after a run with kfp.local: each step saves the key's description
beside its result, made from what the step has (its inputs' artifact headers), in
the shape the local target saves."""
from __future__ import annotations

import json

import pytest

from fuseflow.cli import main as fusec
from fuseflow.codegen.loader import import_path, load_generated
from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.explain import describe_key
from fuseflow.runtime.prepare import RunSettings, prepare
from fuseflow.runtime.storage import open_store
from fuseflow.targets.kfp import generate as kfp_target
from fuseflow.targets.local import generate as local

pytestmark = [pytest.mark.kfp, pytest.mark.slow]

WORKFLOW = """
    workflow explained
    from steps import inc, add, Counter
    param a: int = 1
    param b: int = 10
    x = inc(a)
    y = inc(b)
    z = add(x, y)
    counter = Counter(0)
    n = counter.add(z)
    return z, n
    """


def test_explain_names_the_changed_param_after_a_kfp_run(project, capsys):
    path = project(WORKFLOW)
    store = project.root / "store"
    ir, _ = compile_file(path)
    assert kfp_target.run(ir, str(path), RunSettings(storage=str(store), progress=False), None) == {"z": 13, "n": 13}

    # what the steps saved is what the local target saves
    with import_path(path.parent):
        wf = getattr(load_generated(local.generate(ir), str(path)), local.context(ir)["workflow_var"])
        stored = open_store(str(store))
        keys = prepare(wf, {"a": 1, "b": 10}, RunSettings(storage=stored)).keys
        for name in ("x", "y", "z", "n"):
            assert stored.meta(wf.name, name, keys[name]) == describe_key(wf, {"a": 1, "b": 10}, keys, name)

    capsys.readouterr()
    assert fusec(["explain", str(path), "--storage", str(store), "--json", "-p", "a=5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {row["node"]: (row["status"], row["reasons"]) for row in map(json.loads, lines)}
    assert rows["x"] == ("run", ["param a changed: 1 -> 5"])
    assert rows["y"] == ("stored", [])
    assert rows["z"] == ("run", ["upstream x changed (it runs)"])
    assert rows["n"] == ("run", ["upstream z changed (it runs)"])
