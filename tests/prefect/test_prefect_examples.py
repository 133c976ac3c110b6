"""Every example gives the local target's outputs, and shares its store and cache keys."""
from __future__ import annotations

from pathlib import Path

import pytest
from prefect_helpers import EXAMPLES, run_state, task_runs

from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.execute import RunSettings
from fuseflow.runtime.plan import output_nodes
from fuseflow.targets import get as get_target
from fuseflow.targets.prefect import backend as rt

pytestmark = pytest.mark.prefect


def local_outputs(fuse: Path, storage: Path | None) -> dict:
    workflow, _ = compile_file(fuse)
    if storage:
        settings = RunSettings(storage=str(storage), progress=False)
    else:
        settings = RunSettings(no_cache=True, progress=False)
    return get_target("local").run(workflow, str(fuse), settings, None)


@pytest.mark.parametrize("example", ["arith", "counter", "models", "tune", "compare"])
def test_example_gives_local_outputs_and_reuses_local_results(example: str, project, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    fuse = EXAMPLES / f"{example}.fuse"
    module = project.flow(fuse, name=f"{example}_flow")
    flow_fn = getattr(module, example)
    expected = local_outputs(fuse, None)

    with rt.using(storage=str(project.root / "prefect-store")):
        assert flow_fn() == expected  # computed by Prefect tasks

    shared = project.root / "shared-store"
    assert local_outputs(fuse, shared) == expected
    with rt.using(storage=str(shared)):
        state = run_state(flow_fn)
    assert state.is_completed()
    assert state.result() == expected
    # Same cache keys as the local target: every output is loaded, nothing else is even submitted.
    wanted = set(output_nodes(module.WORKFLOW))
    runs = task_runs(state, len(wanted))
    assert set(runs) == wanted
    assert {run.state.name for run in runs.values()} == {"Cached"}
