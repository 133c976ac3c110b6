"""The Python API of a generated module, as a notebook uses it:
WORKFLOW.run({...}, storage=...), WORKFLOW.query(regex).set(...), and the
storage API to look at what a run kept."""
from __future__ import annotations

import pytest

from fuseflow.runtime.params import ParamError
from fuseflow.runtime.storage import open_store
from fuseflow.targets.local import runtime as rt

from .conftest import EXAMPLES

DIAMOND = """
    workflow diamond
    from steps import inc, add

    param a: int = 1
    param b: float = 10

    x = inc(a)
    y = inc(b)
    z = add(x, y)
    return z
"""


@pytest.fixture
def diamond(project, load_module, monkeypatch):
    monkeypatch.setenv("FUSE_LOG", str(project.log_path))
    return load_module(project.fuse(DIAMOND)).WORKFLOW


def test_run_with_typed_params_and_storage(diamond, project):
    store = str(project.store)
    assert diamond.run({"a": 2}, storage=store) == {"z": 14.0}
    assert diamond.run({"a": 2, "b": 1}, storage=store) == {"z": 5.0}  # an int widens to a float param
    assert project.calls() == ["inc 2", "inc 10.0", "add 3 11.0", "inc 1.0", "add 3 2.0"]
    assert diamond.run({"a": 2}, storage=store) == {"z": 14.0}
    assert project.calls() == []


def test_run_rejects_bad_params_before_running(diamond, project):
    with pytest.raises(ParamError, match="param 'a' expects int, got str '2'"):
        diamond.run({"a": "2"}, no_cache=True)
    with pytest.raises(ParamError, match="unknown param 'c'"):
        diamond.run({"c": 1}, no_cache=True)
    assert project.calls() == []


def test_run_settings(diamond, project):
    store = str(project.store)
    diamond.run(storage=store)
    project.calls()
    assert diamond.run(storage=store, rerun="y") == {"z": 13.0}
    assert project.calls() == ["inc 10.0", "add 2 11.0"]
    assert diamond.run(no_cache=True, progress=False) == {"z": 13.0}
    with pytest.raises(TypeError):
        diamond.run(storag=store)


def test_the_storage_api_reads_what_a_run_kept(diamond, project):
    diamond.run({"a": 5}, storage=str(project.store))
    store = open_store(str(project.store))
    assert store.workflows() == ["diamond"]
    assert store.list_tasks("diamond") == ["x", "y", "z"]
    assert store.read("diamond", "z") == 17.0
    assert store.read_task("diamond", "x") == 6


def test_default_storage_is_beside_the_module(diamond, project):
    diamond.run()
    assert open_store(str(project.root / ".fuseflow")).list_tasks("diamond") == ["x", "y", "z"]


def test_workflow_built_by_hand():
    """The runtime's own building blocks, without the compiler: what generated code writes."""
    import sys

    sys.path.insert(0, str(EXAMPLES))
    try:
        from ops import add, minus
    finally:
        sys.path.remove(str(EXAMPLES))
    wf = rt.Workflow(
        name="arith",
        params=[rt.Param("a", "int", default=1, required=False), rt.Param("b", "int", default=1, required=False)],
        nodes=[
            rt.call("s1", add, [rt.param("a"), rt.param("b")]),
            rt.call("s2", add, [rt.ref("s1"), rt.param("b")]),
            rt.call("m", minus, [rt.ref("s1"), rt.ref("s2")]),
        ],
        outputs={"m": rt.ref("m"), "both": rt.struct([rt.ref("s1"), rt.ref("s2")])},
    )
    assert wf.run({"a": 5}, no_cache=True) == {"m": -1, "both": [6, 7]}
    assert rt.run(wf, {"b": 3}, rt.RunSettings(no_cache=True)) == {"m": -3, "both": [4, 7]}
