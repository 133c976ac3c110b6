"""The step runtime (fuseflow.targets.kfp.step), run in this process on compiled YAML:
the same cache keys as the local target, so a KFP step finds what a local run
stored (and the other way round); --rerun; artifacts; parameters as KFP sends them."""
from __future__ import annotations

import sys
import types

import kfp_inprocess
import pytest
from kfp_helpers import EXAMPLES, compile_example

from fuseflow.codegen.loader import import_path, load_generated
from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.keys import compute_keys
from fuseflow.runtime.storage import open_store
from fuseflow.targets import get as get_target
from fuseflow.targets.kfp import step as kfp_step
from fuseflow.targets.local import generate as local

pytestmark = pytest.mark.kfp

EXPECTED = {"arith": {"m": -1}, "counter": {"result": 4}}


@pytest.fixture
def examples_path(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))


def local_keys(name: str, params: dict | None = None) -> dict[str, str]:
    """The local target's cache keys for an example (its runtime workflow, compute_keys)."""
    workflow, _ = compile_file(EXAMPLES / f"{name}.fuse")
    module = load_generated(local.generate(workflow), EXAMPLES / f"{name}.fuse")
    runtime_wf = module.WORKFLOW
    values = {p.name: p.default for p in runtime_wf.params}
    values.update(params or {})
    with import_path(EXAMPLES):
        return compute_keys(runtime_wf, values)


def step_keys(run: kfp_inprocess.Run, names) -> dict[str, str]:
    """node -> the key in its result (or, for an object, its state) artifact."""
    keys = {}
    for (_task, output), path in run.produced.items():
        if output in ("result", "state"):
            header = kfp_step.read_header(path)
            keys[header["node"]] = header["key"]
    return keys


@pytest.mark.parametrize("example", ["arith", "counter", "models"])
def test_steps_compute_the_local_targets_cache_keys(example, examples_path, tmp_path):
    _, (text, names) = compile_example(example)
    run = kfp_inprocess.run(text, tmp_path)
    assert step_keys(run, names) == local_keys(example)
    if example in EXPECTED:
        assert run.outputs == EXPECTED[example]


def test_keys_follow_params_sent_as_kfp_sends_numbers(examples_path, tmp_path):
    """A float param may arrive as a whole JSON number; its key is still the local one."""
    _, (text, _) = compile_example("models")
    run = kfp_inprocess.run(text, tmp_path, {"noise": 1, "n": 60.0})
    assert step_keys(run, None) == local_keys("models", {"noise": 1.0, "n": 60})


def test_a_kfp_step_loads_what_a_local_run_stored_and_back(examples_path, tmp_path):
    from fuseflow.runtime.execute import RunSettings

    store = open_store(tmp_path / "store")
    workflow, (text, _) = compile_example("models")
    with import_path(EXAMPLES):
        settings = RunSettings(storage=store.url, progress=False)
        expected = get_target("local").run(workflow, str(EXAMPLES / "models.fuse"), settings, None)
    run = kfp_inprocess.run(text, tmp_path / "k1", {"fuseflow_storage": store.url})
    assert set(run.states().values()) == {"loaded from storage"}
    assert run.outputs["best"] == expected["best"]
    # and a KFP run's results serve the local target: a new param, computed by KFP first
    run = kfp_inprocess.run(text, tmp_path / "k2", {"fuseflow_storage": store.url, "n": 80})
    assert set(run.states().values()) == {"ran"}
    with import_path(EXAMPLES):
        settings = RunSettings(storage=store.url, progress=False, param_texts={"n": "80"})
        again = get_target("local").run(workflow, str(EXAMPLES / "models.fuse"), settings, None)
    assert again["best"] == run.outputs["best"]


def test_rerun_forces_the_matching_nodes_and_everything_downstream(examples_path, tmp_path):
    store = open_store(tmp_path / "store")
    _, (text, _) = compile_example("arith")
    kfp_inprocess.run(text, tmp_path / "first", {"fuseflow_storage": store.url})
    run = kfp_inprocess.run(text, tmp_path / "second", {"fuseflow_storage": store.url, "fuseflow_rerun": "s2"})
    assert run.states() == {"s1": "loaded from storage", "s2": "ran", "m": "ran"}


def test_objects_are_carried_between_steps_and_always_run(examples_path, tmp_path):
    store = open_store(tmp_path / "store")
    _, (text, _) = compile_example("counter")
    kfp_inprocess.run(text, tmp_path / "first", {"fuseflow_storage": store.url})
    run = kfp_inprocess.run(text, tmp_path / "second", {"fuseflow_storage": store.url})
    states = run.states()
    assert states["counter"] == "ran" and states["six"] == "ran"  # the object's calls replay
    assert states["one"] == states["result"] == "loaded from storage"
    assert run.outputs == {"result": 4}
    state = kfp_step.read_value(run.produced["six", "state"])
    assert type(state).__name__ == "IncrementalSum" and state.total == 6


def test_artifact_format_round_trip(tmp_path):
    import numpy as np

    target = types.SimpleNamespace(path=str(tmp_path / "out" / "result"), metadata={})
    value = {"a": np.arange(5), "b": [1, "x"]}
    kfp_step.write_artifact(target, value, {"node": "n", "key": "k" * 32, "forced": False})
    header, back = kfp_step.read_artifact(target.path)
    assert header == {"forced": False, "key": "k" * 32, "node": "n"}
    assert back["b"] == [1, "x"] and back["a"].tolist() == [0, 1, 2, 3, 4]
    assert target.metadata == {"fuseflow_node": "n", "fuseflow_key": "k" * 32, "serializer": "pickle"}
    array = types.SimpleNamespace(path=str(tmp_path / "array"), metadata={})
    kfp_step.write_artifact(array, np.ones(3), {"node": "a", "key": "", "forced": False})
    assert kfp_step.read_value(array.path).tolist() == [1.0, 1.0, 1.0]
    assert array.metadata["serializer"] == "npy"
    (tmp_path / "plain").write_text("not ours")
    with pytest.raises(kfp_step.StepError, match="not a fuseflow artifact"):
        kfp_step.read_header(str(tmp_path / "plain"))


@pytest.mark.parametrize(("value", "type_", "expected"), [
    (3.0, "int", 3), (2, "float", 2.0), ("true", "bool", True), (False, "bool", False),
    ('{"k": [1]}', "json", {"k": [1]}),
    ("null", "json", None), ([1.0, {"x": 2.0, "y": 2.5}], "list", [1, {"x": 2, "y": 2.5}]), (None, "int", None),
    ("text", "str", "text"),
])
def test_parameters_decode_to_the_values_the_local_target_passes(value, type_, expected):
    decoded = kfp_step.decode_parameter(value, type_)
    assert decoded == expected and type(decoded) is type(expected)


def test_a_step_from_another_protocol_says_what_to_install():
    spec = {"protocol": 99, "fusec": "9.9.9", "kind": "call"}
    message = "install fuseflow==9.9.9 in the image, or set the kfp option runtime_package"
    with pytest.raises(kfp_step.StepError, match=message):
        kfp_step.run_step(spec, {})


def test_embedded_modules_are_importable_with_their_source(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    root = kfp_step.install_modules({"embedded_mod_x.py": "def f():\n    return 41 + 1\n", "pkg_x/__init__.py": ""})
    import inspect

    import embedded_mod_x

    try:
        assert embedded_mod_x.f() == 42
        assert inspect.getsource(embedded_mod_x.f) == "def f():\n    return 41 + 1\n"
        assert sys.path[0] == root
    finally:
        sys.modules.pop("embedded_mod_x", None)
