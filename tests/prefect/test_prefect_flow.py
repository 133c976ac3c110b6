"""The flow as Prefect users meet it: typed parameters with defaults in its schema,
loadable from its entrypoint for `prefect deploy` and `flow.serve()`; objects."""
from __future__ import annotations

import cloudpickle
import pytest
from prefect_helpers import run_state, task_runs

from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.execute import RunSettings
from fuseflow.targets import get as get_target
from fuseflow.targets.prefect import backend as rt

pytestmark = pytest.mark.prefect

TYPED = """
    workflow typed
    from steps import pair

    param n: int
    param x: float = 2
    param s: str = "hi"
    param on: bool = true
    param xs: list = [1, 2]
    param d: dict = {"k": 1}
    param maybe: str = none

    r = pair(n, [x, s, on, xs, d, maybe])
    return r
"""

EXPECTED_SCHEMA = {
    "n": {"type": "integer"},
    "x": {"type": "number", "default": 2.0},
    "s": {"type": "string", "default": "hi"},
    "on": {"type": "boolean", "default": True},
    "xs": {"type": "array", "default": [1, 2]},
    "d": {"type": "object", "default": {"k": 1}},
    "maybe": {"default": None},
}


def check_schema(schema: dict) -> None:
    properties = schema["properties"]
    assert list(properties) == ["n", "x", "s", "on", "xs", "d", "maybe"]
    for name, expected in EXPECTED_SCHEMA.items():
        assert {k: properties[name][k] for k in expected} == expected, name
    assert {item["type"] for item in properties["maybe"]["anyOf"]} == {"string", "null"}
    assert schema["required"] == ["n"]


def test_flow_parameters_are_the_workflows_params(project):
    module = project.flow(TYPED)
    flow = module.typed
    assert flow.name == "typed"
    check_schema(flow.parameters.model_dump())
    assert flow(n=4) == {"r": {"a": 4, "b": [2.0, "hi", True, [1, 2], {"k": 1}, None],
                               "both": [4, [2.0, "hi", True, [1, 2], {"k": 1}, None]]}}
    with pytest.raises(Exception, match="n"):
        flow(n="four")  # Prefect validates the parameters before the run


def test_flow_loads_from_its_entrypoint_for_deployments(project):
    from prefect.flows import load_flow_from_entrypoint

    project.flow(TYPED)
    flow = load_flow_from_entrypoint(str(project.root / "wf_flow.py") + ":typed")
    assert flow.name == "typed"
    check_schema(flow.parameters.model_dump())
    deployment = flow.to_deployment(name="nightly", parameters={"n": 3})
    assert deployment.entrypoint.endswith("wf_flow.py:typed")
    check_schema(deployment._parameter_openapi_schema.model_dump())
    assert deployment.parameters == {"n": 3}


OBJECTS = """
    workflow objs
    from steps import Counter, inc

    param k: int = 1

    c = Counter(start=10)
    c.add(1)
    x = c.add(k)
    y = inc(x)
    other = Counter(start=100)
    z = other.add(y)
    return x, y, z
"""


def test_objects_give_local_results_and_replay_when_a_later_call_reruns(project):
    module = project.flow(OBJECTS)
    workflow, _ = compile_file(project.root / "wf.fuse")
    settings = RunSettings(no_cache=True, progress=False)
    expected = get_target("local").run(workflow, str(project.root / "wf.fuse"), settings, None)
    project.calls()
    assert expected == {"x": 12, "y": 13, "z": 113}
    state = run_state(module.objs)
    assert state.result() == expected
    runs = task_runs(state, 6)
    assert {name: run.state.name for name, run in runs.items()} == dict.fromkeys(
        ["c", "c_add_1", "x", "y", "other", "z"], "Completed")
    project.calls()

    assert module.objs(k=5) == {"x": 16, "y": 17, "z": 117}
    # x must run, so its object is built again and the earlier call replayed, in order;
    # the other object's chain may run alongside, but after y, which it reads
    calls = project.calls()
    assert [c for c in calls if c not in ("Counter 100", "Counter.add 17")] == [
        "Counter 10", "Counter.add 1", "Counter.add 5", "inc 16"]
    assert calls.index("inc 16") < calls.index("Counter.add 17") and "Counter 100" in calls


def test_method_results_carry_their_object_across_processes():
    carried = rt.MethodResult([1, 2], 3)
    back = cloudpickle.loads(cloudpickle.dumps(carried))
    assert back.object == [1, 2] and back.value == 3
    assert rt.At(carried, ()).get() == 3


@pytest.mark.slow
def test_objects_under_the_process_task_runner(project):
    """Each call runs in a worker process: the object travels with its method calls."""
    from prefect_helpers import import_file

    from fuseflow.cli import main as fusec

    options = '\noptions prefect { workflow: { task_runner: "processes", max_workers: 2 } }\n'
    path = project.write("wf.fuse", OBJECTS + options)
    out = project.root / "procs_flow.py"
    assert fusec(["compile", str(path), "--target", "prefect", "-o", str(out)]) == 0
    module = import_file(out, "procs_flow")  # importable by that name in the workers, too
    assert "task_runner=ProcessPoolTaskRunner(max_workers=2)" in out.read_text()
    assert module.objs(k=5) == {"x": 16, "y": 17, "z": 117}
    assert module.objs(k=5) == {"x": 16, "y": 17, "z": 117}  # loaded, in the flow's process
