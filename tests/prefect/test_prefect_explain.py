"""`fusec explain` after a Prefect flow run: each task saves the key's description
beside its result, as the local target does."""
from __future__ import annotations

import json

import pytest

from fuseflow.cli import main as fusec
from fuseflow.runtime.prepare import RunSettings, prepare
from fuseflow.runtime.storage import open_store

pytestmark = pytest.mark.prefect

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


def test_explain_names_the_changed_param_after_a_prefect_run(project, capsys):
    module = project.flow(WORKFLOW)
    assert module.explained() == {"z": 13, "n": 13}

    # what the tasks saved is what the local target saves
    wf = module.WORKFLOW
    store = open_store(str(project.root / ".fuseflow"))
    local = prepare(wf, {"a": 1, "b": 10}, RunSettings(storage=store))
    for name in ("x", "y", "z", "n"):
        assert store.meta(wf.name, name, local.keys[name]) == local.describe(wf.index[name])  # the file too

    capsys.readouterr()
    assert fusec(["explain", str(project.root / "wf.fuse"), "--storage", str(project.root / ".fuseflow"), "--json",
                  "-p", "a=5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {row["node"]: (row["status"], row["reasons"]) for row in map(json.loads, lines)}
    assert rows["x"] == ("run", ["param a changed: 1 -> 5"])
    assert rows["y"] == ("stored", [])
    assert rows["z"] == ("run", ["upstream x changed (it runs)"])
    assert rows["n"] == ("run", ["upstream z changed (it runs)"])
