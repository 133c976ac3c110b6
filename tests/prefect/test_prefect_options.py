"""Options reach Prefect: retries (neutral and run-time overrides), every `options prefect`
key on the task and on the flow, task runners."""
from __future__ import annotations

import pytest
from prefect_helpers import run_state, task_runs

from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.runtime.invoke import NodeFailed
from fuseflow.schemas import NEUTRAL_MAPPING
from fuseflow.targets.prefect import backend as rt
from fuseflow.targets.prefect.generate import generate

pytestmark = pytest.mark.prefect

FLAKY = """
    workflow retrying
    from steps import flaky, inc

    f = flaky(3)
    g = inc(f)
    options { "f": { retries: 2 } }
    return g
"""


def test_node_failing_twice_then_succeeding_with_retries_2(project):
    module = project.flow(FLAKY)
    generated = (project.root / "wf_flow.py").read_text()
    assert 'f = run.submit(flaky_task.with_options(task_run_name="f", retries=2), 3)' in generated
    project.steps.FLAKY["flaky"] = 2
    state = run_state(module.retrying)
    assert state.result() == {"g": 31}
    assert project.calls() == ["flaky 3", "flaky 3", "flaky 3", "inc 30"]
    runs = task_runs(state, 2)
    assert runs["f"].state.name == "Completed" and runs["f"].run_count == 3
    assert runs["g"].run_count == 1


def test_retries_run_out(project):
    module = project.flow(FLAKY)
    project.steps.FLAKY["flaky"] = 3
    with pytest.raises(NodeFailed, match=r"node 'f' failed after 3 attempts: RuntimeError: not yet"):
        module.retrying()


def test_overrides_set_prefect_retries_at_run_time(project):
    module = project.flow(FLAKY.replace('options { "f": { retries: 2 } }', ""))
    module.WORKFLOW.query("f").set(retries=1)
    project.steps.FLAKY["flaky"] = 1
    assert module.retrying() == {"g": 31}
    assert project.calls() == ["flaky 3", "flaky 3", "inc 30"]


def test_neutral_mapping_is_the_compilers():
    assert rt.PREFECT_MAPPING == NEUTRAL_MAPPING["prefect"]


EVERYTHING = """
    workflow tuned
    from steps import inc, hook, retry_if

    param n: int = 3

    a = inc(n)
    b = inc(a)
    options {
        ".*": { retries: 1, retry_delay: "1s", timeout: "1m", seed: 5, env: {"FUSE_X": "1"} }
    }
    options prefect {
        ".*": { tags: ["ml", "nightly"], description: "one step", version: "1.2", retry_jitter_factor: 0.5,
                retry_condition_fn: retry_if, log_prints: true, cache_result_in_memory: true,
                on_completion: [hook], on_failure: hook, on_running: [hook], refresh_cache: false }
        "b": { cache_policy: "inputs", cache_expiration: "1h", timeout_seconds: 30 }
        workflow: { log_prints: true, flow_run_name: "tuned-{n}", description: "every option", version: "7",
                    retries: 0, retry_delay_seconds: 1, timeout_seconds: 600, validate_parameters: true,
                    on_completion: [hook], max_workers: 3 }
    }
    return b
"""


def test_every_prefect_option_is_accepted_by_prefect(project):
    module = project.flow(EVERYTHING)
    text = (project.root / "wf_flow.py").read_text()
    keywords = ['task_run_name="a"', "cache_result_in_memory=True", 'description="one step"', "log_prints=True",
                "on_completion=[hook]", "on_failure=[hook]", "on_running=[hook]", "refresh_cache=False", "retries=1",
                "retry_condition_fn=retry_if", "retry_delay_seconds=1.0", "retry_jitter_factor=0.5",
                'tags=["ml", "nightly"]', "timeout_seconds=60.0"]
    assert ("    a = run.submit(\n        inc_task.with_options(\n" + "".join(f"            {k},\n" for k in keywords)
            + "        ),\n        n,\n    )\n") in text
    assert "cache_expiration=timedelta(seconds=3600.0),\n            cache_policy=INPUTS," in text
    assert "persist_result=True" in text  # Prefect's caching needs it, as @task's own default does
    assert '@task(name="inc", persist_result=False, cache_policy=NO_CACHE, version="1.2")' in text
    assert ('@flow(\n    name="tuned",\n    task_runner=ThreadPoolTaskRunner(max_workers=3),\n'
            '    description="every option",\n    flow_run_name="tuned-{n}",\n    log_prints=True,\n'
            '    on_completion=[hook],\n    retries=0,\n') in text

    flow = module.tuned
    assert flow.description == "every option" and flow.version == "7" and flow.timeout_seconds == 600
    state = run_state(flow, n=3)
    assert state.result() == {"b": 5}
    assert project.calls().count("hook") >= 3  # task completions and the flow's
    runs = task_runs(state, 2)
    assert runs["a"].tags == ["ml", "nightly"] or set(runs["a"].tags) == {"ml", "nightly"}
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        assert client.read_flow_run(state.state_details.flow_run_id).name == "tuned-3"


def test_task_runner_is_imported_when_a_run_starts(project):
    try:
        import prefect_ray  # noqa: F401
        pytest.skip("prefect-ray is installed: this checks the message shown without it")
    except ImportError:
        pass
    module = project.flow("""
        workflow on_ray
        from steps import inc
        x = inc(1)
        options prefect { workflow: { task_runner: "ray" } }
    """)
    assert 'task_runner=rt.task_runner("ray")' in (project.root / "wf_flow.py").read_text()
    assert module.on_ray.task_runner.name == "ray"  # imported fine: `prefect deploy` can load it
    with pytest.raises(ImportError, match="pip install prefect-ray"):
        module.on_ray()


def test_task_runner_by_class_path():
    runner = rt.task_runner("prefect.task_runners:ThreadPoolTaskRunner", max_workers=2)
    real = runner.duplicate()
    assert type(real).__name__ == "ThreadPoolTaskRunner" and real._max_workers == 2


@pytest.mark.parametrize("text, message", [
    ("param wait_for: int = 1\nx = inc(wait_for)", "cannot name a flow parameter 'wait_for'"),
    ("x = inc(wait_for=1)", "cannot pass a keyword argument 'wait_for'"),
    ('x = inc(1)\noptions prefect { workflow: { task_runner: "dask", max_workers: 2 } }',
     "max_workers is an option of"),
])
def test_what_the_target_cannot_express_is_a_compile_error(text, message):
    workflow, _ = compile_source("from steps import inc\n" + text, "wf.fuse")
    with pytest.raises(CompileError, match=message):
        generate(workflow)
