"""`fusec explain` after a run on Ray: the workers save the key's description
(made on the driver) beside each result, as the local target does."""
from __future__ import annotations

import json

import pytest

from fuseflow.runtime.prepare import RunSettings, prepare
from fuseflow.runtime.storage import open_store

pytestmark = pytest.mark.ray


def source(log) -> str:
    return f'''
from ff_ray_helpers import step, add, Recorder
param p: int = 1
param q: int = 1
param log: str = "{log.path}"
a = step(log, "a", p)
b = step(log, "b", q)
c = add(log, "c", a, b)
r = Recorder(log)
n = r.add(c)
return c, n
'''


def test_explain_names_the_changed_param_after_a_ray_run(workflow, fusec, tmp_path, log):
    wf = workflow(source(log))
    store = str(tmp_path / "store")
    wf.run(storage=store)

    # what the workers saved is what the local target saves
    stored = open_store(store)
    local = prepare(wf, {"p": 1, "q": 1, "log": str(log.path)}, RunSettings(storage=stored))
    for name in ("a", "b", "c", "n"):
        assert stored.meta(wf.name, name, local.keys[name]) == local.describe(wf.index[name])  # the file too

    status, out, err = fusec("explain", str(tmp_path / "wf.fuse"), "--storage", store, "--json", "-p", "p=5")
    assert status == 0, err
    rows = {row["node"]: (row["status"], row["reasons"]) for row in map(json.loads, out.splitlines())}
    assert rows["a"] == ("run", ["param p changed: 1 -> 5"])
    assert rows["b"] == ("stored", [])
    assert rows["c"] == ("run", ["upstream a changed (it runs)"])
    assert rows["n"] == ("run", ["upstream c changed (it runs)"])
