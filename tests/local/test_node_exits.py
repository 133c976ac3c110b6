"""Whatever a node's code raises fails the node, BaseExceptions included:
`sys.exit(3)` does not end `fusec run` with status 3, and a KeyboardInterrupt
the code raises itself is a failure, not a Ctrl-C (a real Ctrl-C is held in
test_caching.py: exit status 130)."""
from __future__ import annotations

import pytest

QUITS = '''
import sys

def quit_with(x, status):
    sys.exit(status)

def interrupt(x):
    raise KeyboardInterrupt

class Stop(BaseException):
    pass

def stop(x):
    raise Stop("custom")
'''


def workflow(call: str, options: str = "") -> str:
    return f"""
        workflow quitting
        from steps import inc
        from quits import quit_with, interrupt, stop
        a = inc(1)
        b = {call}
        c = inc(b)
        {options}
        return c
        """


@pytest.mark.parametrize(("call", "error"), [
    ("quit_with(a, 3)", "SystemExit: 3"),
    ("quit_with(a, 0)", "SystemExit: 0"),
    ("interrupt(a)", "KeyboardInterrupt"),
    ("stop(a)", "Stop: custom"),
])
@pytest.mark.parametrize("options", ["", 'options { "b": { seed: 1 } }'], ids=["plain", "with-options"])
def test_a_node_that_exits_or_raises_a_base_exception_is_a_failed_node(project, call, error, options):
    project.write("quits.py", QUITS)
    project.fuse(workflow(call, options))
    done = project.run()
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: node 'b' failed: {error}\n\nTraceback of node 'b':\n")
    assert "quits.py" in done.stderr and "fuseflow/runtime" not in done.stderr
    assert done.stderr.endswith("Results finished before the failure are stored; the next run reuses them.\n")
    assert project.stored_nodes("quitting") == ["a"]


def test_a_node_that_exits_is_retried_like_any_failure(project):
    project.write("quits.py", QUITS)
    project.fuse(workflow("quit_with(a, 3)", 'options { "b": { retries: 2 } }'))
    done = project.run()
    assert done.returncode == 1
    assert done.stderr.startswith("error: node 'b' failed after 3 attempts: SystemExit: 3\n")


def test_the_generated_module_reports_an_exiting_node_the_same_way(project):
    from .conftest import compile_module, run_module

    project.write("quits.py", QUITS)
    module = compile_module(project.fuse(workflow("quit_with(a, 3)")), project.root / "wf.py")
    done = run_module(module, "--no-cache", cwd=project.root, pythonpath=project.root, env=project.env())
    assert done.returncode == 1
    assert done.stderr.startswith("error: node 'b' failed: SystemExit: 3\n")
