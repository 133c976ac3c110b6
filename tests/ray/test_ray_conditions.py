"""`if` on Ray, through the generated module: what the tests read runs as tasks, the driver makes
the decision, the branch taken is submitted and the others never are."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.ray

FLOW = '''
from ff_ray_helpers import step, add
param log: str = "{log}"
param n: int = 1
a = step(log, "a", n)
if a > 5 {{
    big = step(log, "big", a, by=100)
    chosen = step(log, "chosen.if", big)
}} elif a == 2 {{
    chosen = add(log, "chosen.elif", a, 1000)
}} else {{
    chosen = step(log, "chosen.else", a, by=-1)
}}
last = step(log, "last", chosen)
return last
'''


def test_the_generated_module_submits_the_branch_taken_only(workflow, tmp_path, log):
    wf = workflow(FLOW.format(log=log.path))
    store = str(tmp_path / "store")
    assert wf.run(storage=store) == {"last": 1003}
    assert sorted(log.take()) == ["a", "chosen.elif", "last"]
    assert wf.run({"n": 9}, storage=store) == {"last": 112}
    assert sorted(log.take()) == ["a", "big", "chosen.if", "last"]
    assert wf.run(storage=store) == {"last": 1003}  # stored: nothing runs again
    assert log.take() == []


def test_a_test_that_fails_stops_the_run_naming_the_if(workflow, log):
    from fuseflow.runtime.invoke import RunFailed

    wf = workflow(FLOW.format(log=log.path).replace("if a > 5", 'if a > "5"'))
    with pytest.raises(RunFailed, match=r"the `if` on line 6: 2 > '5': TypeError"):
        wf.run(no_cache=True)


def test_finally_runs_after_the_rest_on_ray_success_or_failure(workflow, log, tmp_path):
    """`finally` through the engine (runtime.final) around the Ray run: after the rest, reading
    run_status, never stored; the rest's failure stays the run's outcome."""
    from fuseflow.runtime.invoke import NodeFailed

    flag = tmp_path / "flag"
    wf = workflow(f'''
from ff_ray_helpers import step, fail_if
param log: str = "{log.path}"
a = step(log, "a", 1)
b = fail_if(log, "b", a, "{flag}")
finally {{
    step(log, run_status["state"], 0)
}}
return b
''')
    assert wf.run(no_cache=True) == {"b": 2}
    assert log.take() == ["a", "b", "succeeded"]
    flag.write_text("")
    with pytest.raises(NodeFailed, match="node 'b' failed"):
        wf.run(no_cache=True)
    assert log.take() == ["a", "b", "failed"]


def test_the_generated_module_s_command_line_reports_the_summary(workflow, tmp_path, log, capsys):
    """`python wf_ray.py --json --summary`: the driver's decisions and the nodes it skipped, submitted
    and loaded (every target: tests/conformance/test_conformance_summary.py)."""
    import json

    from fuseflow.targets.ray.backend import main

    wf = workflow(FLOW.format(log=log.path))
    store = str(tmp_path / "store")
    assert main(wf, ["--json", "--summary", "--storage", store]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "outputs": {"last": 1003},
        "summary": {"nodes": {"computed": 3, "loaded": 0, "skipped": 3}, "skipped": ["big", "chosen.if", "chosen.else"],
                    "decisions": {"if-1": "elif1"}}}
    assert main(wf, ["--summary", "--storage", store]) == 0
    out, err = capsys.readouterr()
    assert out == "1003\n"
    assert "summary: 0 computed, 2 loaded, 3 skipped (big, chosen.if, chosen.else); if-1: elif1\n" in err
