"""A node calling sys.exit(3) in a Prefect task is that node's failure, as locally
(tests/local/test_node_exits.py)."""
from __future__ import annotations

import pytest
from prefect_helpers import run_state

from fuseflow.runtime.invoke import NodeFailed

pytestmark = pytest.mark.prefect


def test_a_node_calling_sys_exit_fails_the_node_in_prefect(project):
    flow = project.flow("""
        workflow quitting
        from sys import exit
        from steps import inc
        a = inc(1)
        b = exit(3)
        return b
    """).quitting
    state = run_state(flow)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, NodeFailed)
    assert str(error) == "node 'b' failed: SystemExit: 3"
