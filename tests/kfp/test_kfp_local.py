"""The compiled YAML run for real with kfp.local (SubprocessRunner(use_venv=False)),
as `fusec run --target kfp` does: about a second per step, so each case is small."""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap

import pytest
from kfp_helpers import EXAMPLES, ODD_NAMES, ROOT

from fuseflow.codegen.loader import import_path
from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.execute import RunSettings
from fuseflow.runtime.invoke import NodeFailed
from fuseflow.targets import get as get_target
from fuseflow.targets.kfp import generate as kfp_target
from fuseflow.targets.kfp import local as kfp_local

pytestmark = [pytest.mark.kfp, pytest.mark.slow]


def settings(**kw) -> RunSettings:
    return RunSettings(progress=False, **kw)


def run_kfp(path, **kw):
    workflow, _ = compile_file(path)
    return kfp_target.run(workflow, str(path), settings(**kw), None)


def run_local(path, **kw):
    workflow, _ = compile_file(path)
    with import_path(path.parent):
        return get_target("local").run(workflow, str(path), settings(**kw), None)


def test_fusec_run_arith_prints_like_every_target(tmp_path):
    command = [sys.executable, "-m", "fuseflow.cli", "run", str(EXAMPLES / "arith.fuse"), "--target", "kfp",
               "--storage", str(tmp_path / "store"), "-p", "a=5", "-p", "b=3", "--json"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"m": -3}
    assert "Task" not in done.stdout  # kfp.local's log stays off stdout


@pytest.mark.parametrize("example", ["counter", "models", "tune", "compare"])
def test_examples_give_the_local_targets_outputs(example):
    path = EXAMPLES / f"{example}.fuse"
    assert run_kfp(path, no_cache=True) == run_local(path, no_cache=True)


def test_kfp_steps_reuse_what_the_local_target_stored(project):
    path = project("""
        workflow reuse
        from steps import inc, add
        param a: int = 1
        x = inc(a)
        y = add(x, 10)
        return y
        """)
    store = project.root / "store"
    assert run_local(path, storage=str(store)) == {"y": 12}
    assert project.calls() == ["inc 1", "add 2 10"]
    assert run_kfp(path, storage=str(store)) == {"y": 12}
    assert project.calls() == ["inc 1", "add 2 10"]  # nothing computed again
    assert run_kfp(path, storage=str(store), param_texts={"a": "5"}) == {"y": 16}
    assert project.calls()[2:] == ["inc 5", "add 6 10"]


def test_retries_are_honoured_by_kfp_local(project):
    marker = project.root / "attempts"
    path = project("""
        workflow retrying
        from steps import flaky
        x = flaky(4, 2, "MARKER")
        options { "x": { retries: 2 } }
        return x
        """.replace("MARKER", str(marker)))
    assert run_kfp(path, no_cache=True) == {"x": 40}
    assert project.calls() == ["flaky attempt 1", "flaky attempt 2", "flaky attempt 3"]


def test_a_failing_step_is_reported_with_the_users_traceback(project):
    path = project("""
        workflow failing
        from steps import inc, boom
        a = inc(1)
        b = boom(a)
        return b
        """)
    with pytest.raises(NodeFailed) as caught:
        run_kfp(path, no_cache=True)
    failure = caught.value
    assert failure.node == "b"
    assert str(failure) == "node 'b' failed: ValueError: boom 2"
    assert 'raise ValueError(f"boom {x}")' in failure.user_traceback
    assert "kfp_step.py" not in failure.user_traceback


def test_embedded_modules_run_without_the_users_folder(project, monkeypatch):
    (project.root / "mymod.py").write_text(textwrap.dedent("""
        def triple(x):
            return 3 * x
        """))
    path = project("""
        workflow embedded
        from mymod import triple
        x = triple(14)
        options kfp { workflow: { embed_modules: ["mymod"] } }
        return x
        """)
    workflow, _ = compile_file(path)
    text, names = kfp_target.compile_pipeline(workflow, project.root)
    (project.root / "mymod.py").unlink()  # only the YAML has it now
    assert kfp_local.run_yaml(text, names, workflow, str(path), settings(no_cache=True)) == {"x": 42}


def test_kfp_local_alone_mixes_up_tasks_that_share_a_component(project, monkeypatch):
    """Why kfp_local.task_folders exists: kfp.local names a task's output folder
    after its component, so tasks sharing one overwrite each other's results."""
    path = project("""
        workflow shared
        from steps import inc, add
        a = inc(1)
        b = inc(10)
        s = add(a, b)
        return s
        """)
    assert run_kfp(path, no_cache=True) == {"s": 13}
    monkeypatch.setattr(kfp_local, "task_folders", contextlib.nullcontext)
    assert run_kfp(path, no_cache=True) != {"s": 13}


def test_examples_folder_is_where_the_tests_expect_it():
    assert (ROOT / "examples" / "models.py").exists()


NAMED_LIKE_THE_TEMPLATE = '''
def dict(x):
    return {"v": x}


def locals(x):
    return [x]


def ImportError(x):
    return (x,)


def _fuseflow_run(x):
    return str(x)
'''


def test_callables_and_outputs_named_like_what_the_step_program_uses_still_run(project):
    (project.root / "clashing.py").write_text(NAMED_LIKE_THE_TEMPLATE, encoding="utf-8")
    path = project("""
        workflow clashing
        from clashing import dict, locals, ImportError, _fuseflow_run
        _SPEC = dict(1)
        values = locals(_SPEC)
        SystemExit = ImportError(values)
        kfp = _fuseflow_run(SystemExit)
        return _SPEC, values, SystemExit, kfp
        """)
    expected = {"_SPEC": {"v": 1}, "values": [{"v": 1}], "SystemExit": ([{"v": 1}],), "kfp": "([{'v': 1}],)"}
    assert run_kfp(path, no_cache=True) == expected


def test_inputs_named_after_odd_loop_keys_and_keywords_reach_the_step(project):
    path = project(ODD_NAMES)  # kfp's executor passes each input as the step function's parameter
    assert run_kfp(path, no_cache=True) == run_local(path, no_cache=True)


def test_a_workflow_named_like_its_callable_is_loaded_as_the_pipeline(project, tmp_path):
    from kfp import components

    path = project("""
        workflow inc
        from steps import inc
        x = inc(1)
        return x
        """)
    workflow, _ = compile_file(path)
    text, _ = kfp_target.compile_pipeline(workflow, project.root)
    (tmp_path / "inc.yaml").write_text(text, encoding="utf-8")
    loaded = components.load_component_from_file(str(tmp_path / "inc.yaml"))
    assert loaded.name == "inc" and loaded.pipeline_spec is not None and "x" in loaded.pipeline_spec.root.dag.tasks
    assert run_kfp(path, no_cache=True) == {"x": 2}


def test_a_step_failing_outside_the_nodes_function_is_that_nodes_failure(project):
    path = project("""
        workflow installing
        from steps import inc
        a = inc(1)
        b = inc(a)
        options kfp { "b": { packages: ["no-such-package"], pip_index_urls: ["file:///nonexistent/simple"] } }
        return b
        """)
    with pytest.raises(NodeFailed) as caught:
        run_kfp(path, no_cache=True)
    failure = caught.value
    assert failure.node == "b"
    assert str(failure) == ("node 'b' failed: StepFailed: the step failed outside the node's function; "
                            "the end of its log is below")
    assert "No matching distribution found for no-such-package" in failure.user_traceback
    assert "\x1b" not in str(failure) + failure.user_traceback
