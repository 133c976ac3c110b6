"""`--set` on the Prefect target is checked by the checker of a file's options
blocks, before a flow run exists (tests/runtime/test_set_matches_file.py)."""
from __future__ import annotations

import pytest

from fuseflow.runtime.execute import RunSettings
from fuseflow.runtime.overrides import parse_set
from fuseflow.runtime.params import ParamError
from fuseflow.targets.prefect.backend import run_flow

pytestmark = pytest.mark.prefect

FLOW = """
    workflow tuned
    from steps import inc
    x = inc(1)
    return x
"""


@pytest.mark.parametrize(("setting", "message"), [
    ('x:env={"K": 1}', "--set 'x': option 'env' expects a dict of strings to strings, got a dict whose value for "
                       '"K" is 1; write "1"'),
    ("x:setup=nonexist:fn", "--set 'x': option 'setup' names 'nonexist:fn', which cannot be imported: "
                            "ModuleNotFoundError: No module named 'nonexist'"),
])
def test_a_set_a_file_would_refuse_is_refused_before_the_flow_runs(project, setting, message):
    module = project.flow(FLOW)
    with pytest.raises(ParamError) as refused:
        run_flow(module.tuned, module.WORKFLOW, RunSettings(overrides=[parse_set(setting)]))
    assert str(refused.value) == message
    assert project.calls() == []


def test_a_set_setup_names_an_importable_callable(project):
    project.write("prepare.py", "def ready():\n    pass\n")
    module = project.flow(FLOW)
    settings = RunSettings(no_cache=True, overrides=[parse_set("x:setup=prepare:ready")])
    assert run_flow(module.tuned, module.WORKFLOW, settings) == {"x": 2}
