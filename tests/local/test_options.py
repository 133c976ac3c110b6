"""The neutral options, honoured by the local target: retries, retry_delay,
timeout, seed, setup, env, cache and always_read; set in the .fuse file, with
`--set` on the command line, or with WORKFLOW.query(...).set(...) in Python."""
from __future__ import annotations

import os
import time

import pytest

from fuseflow.runtime.invoke import NodeFailed, node_seed
from fuseflow.runtime.params import ParamError

TOOLS = '''
import os
import random
import time

import numpy as np

from steps import log

ATTEMPTS = {}


def flaky(x, failures):
    """Fails `failures` times per process, then returns x."""
    ATTEMPTS[x] = ATTEMPTS.get(x, 0) + 1
    log(f"flaky {x} attempt {ATTEMPTS[x]}")
    if ATTEMPTS[x] <= failures:
        raise RuntimeError(f"flaky failure {ATTEMPTS[x]}")
    return x


def sleepy(seconds):
    log("sleepy")
    time.sleep(seconds)
    return seconds


def draw(tag):
    return [random.random(), float(np.random.rand())]


def prepare():
    log(f"prepare {os.environ.get('STAGE', '-')}")


def environment(name):
    log(f"environment {os.environ.get(name)}")
    return os.environ.get(name)


class Marked:
    def __init__(self, value):
        self.value = value
        self.reloaded = False

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.reloaded = True


def marked(value):
    return Marked(value)


def reloaded(thing):
    return thing.reloaded
'''


@pytest.fixture
def tools(project, monkeypatch):
    project.write("tools.py", TOOLS)
    monkeypatch.setenv("FUSE_LOG", str(project.log_path))
    return project


def workflow(tools, text: str, load_module):
    return load_module(tools.fuse(text)).WORKFLOW


def test_retries_run_a_failing_node_again(tools, load_module):
    wf = workflow(tools, """
        workflow retrying
        from tools import flaky
        x = flaky(1, 2)
        options { "x": { retries: 2 } }
    """, load_module)
    assert wf.run(no_cache=True) == {"x": 1}
    assert tools.calls() == ["flaky 1 attempt 1", "flaky 1 attempt 2", "flaky 1 attempt 3"]


def test_too_few_retries_fail_with_the_attempt_count(tools, load_module):
    wf = workflow(tools, """
        workflow retrying
        from tools import flaky
        x = flaky(2, 2)
        options { "x": { retries: 1 } }
    """, load_module)
    with pytest.raises(NodeFailed) as failure:
        wf.run(no_cache=True)
    assert str(failure.value) == "node 'x' failed after 2 attempts: RuntimeError: flaky failure 2"
    assert "in flaky" in failure.value.user_traceback


def test_retry_delay_waits_between_attempts(tools, load_module):
    wf = workflow(tools, """
        workflow retrying
        from tools import flaky
        x = flaky(3, 2)
        options { "x": { retries: 2, retry_delay: "300ms" } }
    """, load_module)
    start = time.monotonic()
    assert wf.run(no_cache=True) == {"x": 3}
    assert time.monotonic() - start >= 0.6


def test_timeout_interrupts_a_long_node(tools, load_module):
    wf = workflow(tools, """
        workflow slow
        from tools import sleepy
        x = sleepy(30)
        options { "x": { timeout: "500ms" } }
    """, load_module)
    start = time.monotonic()
    with pytest.raises(NodeFailed) as failure:
        wf.run(no_cache=True)
    assert time.monotonic() - start < 10
    assert str(failure.value) == "node 'x' failed: NodeTimeout: timed out after 0.5 s"
    assert "in sleepy" in failure.value.user_traceback


def test_timeout_with_retries_tries_again(tools, load_module):
    wf = workflow(tools, """
        workflow slow
        from tools import sleepy
        x = sleepy(30)
        options { "x": { timeout: "200ms", retries: 1 } }
    """, load_module)
    with pytest.raises(NodeFailed, match="after 2 attempts: NodeTimeout"):
        wf.run(no_cache=True)
    assert tools.calls() == ["sleepy", "sleepy"]


SEEDED = """
    workflow seeded
    from tools import draw
    p = draw("p")
    q = draw("q")
    r = draw("r")
    options {
        "[pq]": { seed: 7 }
        "r": { seed: 8 }
    }
"""


def test_seed_makes_random_numbers_reproducible_and_per_node(tools, load_module):
    wf = workflow(tools, SEEDED, load_module)
    first = wf.run(no_cache=True)
    assert wf.run(no_cache=True) == first  # python's random and numpy's alike
    assert len({tuple(v) for v in first.values()}) == 3  # every node its own seed
    import random

    import numpy as np

    random.seed(node_seed(7, "p"))
    np.random.seed(node_seed(7, "p"))
    assert first["p"] == [random.random(), float(np.random.rand())]


def test_seed_is_part_of_the_cache_key(tools, load_module):
    wf = workflow(tools, SEEDED, load_module)
    store = str(tools.store)
    first = wf.run(storage=store)
    assert wf.run(storage=store) == first
    wf.query("p").set(seed=9)
    changed = wf.run(storage=store)
    assert changed["p"] != first["p"] and changed["q"] == first["q"]


def test_setup_runs_before_the_node_with_its_env(tools, load_module):
    wf = workflow(tools, """
        workflow prepared
        from tools import prepare, environment
        x = environment("STAGE")
        y = environment("STAGE")
        options {
            "x": { setup: prepare, env: {"STAGE": "one"} }
        }
    """, load_module)
    assert "STAGE" not in os.environ
    assert wf.run(no_cache=True) == {"x": "one", "y": None}
    assert tools.calls() == ["prepare one", "environment one", "environment None"]
    assert "STAGE" not in os.environ  # restored after the node


def test_env_restores_a_variable_that_was_set(tools, load_module, monkeypatch):
    monkeypatch.setenv("STAGE", "outer")
    wf = workflow(tools, """
        workflow env
        from tools import environment
        x = environment("STAGE")
        options { "x": { env: {"STAGE": "inner"} } }
    """, load_module)
    assert wf.run(no_cache=True) == {"x": "inner"}
    assert os.environ["STAGE"] == "outer"


def test_always_read_passes_on_the_value_read_back_from_storage(tools, load_module):
    text = """
        workflow reread
        from tools import marked, reloaded
        m = marked(1)
        r = reloaded(m)
        return r
    """
    wf = workflow(tools, text, load_module)
    assert wf.run(storage=str(tools.store / "a")) == {"r": False}
    wf = workflow(tools, text + '\noptions { "m": { always_read: true } }\n', load_module)
    assert wf.run(storage=str(tools.store / "b")) == {"r": True}


def test_set_on_the_command_line(tools):
    tools.fuse("""
        workflow retrying
        from tools import flaky
        x = flaky(4, 1)
    """)
    done = tools.run("--no-cache")
    assert done.returncode == 1
    assert tools.run("--no-cache", "--set", "x:retries=1").stdout == "4\n"
    done = tools.run("--no-cache", "--set", ".*:retries=1", "--set", ".*:setup=tools:prepare",
                     "--set", "x:env={\"STAGE\": \"s\"}")
    assert done.stdout == "4\n", done.stderr
    assert tools.calls()[-3:] == ["flaky 4 attempt 1", "prepare s", "flaky 4 attempt 2"]


def test_set_on_the_generated_module(tools):
    from .conftest import compile_module, run_module

    module = compile_module(tools.fuse("""
        workflow slow
        from tools import sleepy
        x = sleepy(30)
    """), tools.root / "wf.py")
    done = run_module(module, "--no-cache", "--set", "x:timeout=\"300ms\"", cwd=tools.root, pythonpath=tools.root)
    assert done.returncode == 1
    assert done.stderr.startswith("error: node 'x' failed: NodeTimeout: timed out after 0.3 s")


def test_query_set_in_python(tools, load_module):
    wf = workflow(tools, """
        workflow retrying
        from tools import flaky
        x = flaky(5, 1)
        y = flaky(6, 1)
    """, load_module)
    wf.query("x|y").set(retries=1).set({"retry_delay": 0})
    assert wf.run(no_cache=True) == {"x": 5, "y": 6}
    with pytest.raises(ParamError, match="query 'nothing' matches no node"):
        wf.query("nothing").set(retries=1)
        wf.run(no_cache=True)


def test_query_with_an_unknown_option(tools, load_module):
    wf = workflow(tools, """
        workflow retrying
        from tools import flaky
        x = flaky(7, 0)
    """, load_module)
    wf.query("x").set(retires=1)
    with pytest.raises(ParamError, match="unknown option 'retires'; did you mean 'retries'"):
        wf.run(no_cache=True)
