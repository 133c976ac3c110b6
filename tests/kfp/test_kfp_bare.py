"""KFP steps on a bare image: the compiled YAML run by kfp.local with
SubprocessRunner(use_venv=True) (`fusec run --target kfp --bare`), so each step
gets a new virtualenv holding nothing, an empty working folder and no
PYTHONPATH. fuseflow arrives through the runtime_package option (a wheel of
this checkout, built once a session) and the user's module through
embed_modules, as on a plain `python:3.11` image. The step's own command
pip-installs the wheel and kfp from the package index (pip's cache is kept):
some seconds a step, so the pipeline is small."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from fuseflow.cli.commands import build_parser
from fuseflow.codegen.loader import import_path
from fuseflow.compiler.errors import UsageError
from fuseflow.compiler.frontend import compile_file
from fuseflow.runtime.execute import RunSettings
from fuseflow.targets import get as get_target
from fuseflow.targets.kfp import generate as kfp_target

pytestmark = [pytest.mark.kfp, pytest.mark.slow]

# Each call says where it ran: the step's Python, the fuseflow it imported, its own file.
STEPS = '''
import os
import sys

import fuseflow


def where(event):
    with open(os.environ["FUSE_LOG"], "a") as log:
        log.write(f"{event}|{sys.prefix}|{fuseflow.__file__}|{__file__}\\n")


def inc(x):
    where("inc")
    return x + 1


def add(a, b):
    where("add")
    return a + b


def upto(n):
    where("upto")
    return list(range(1, n + 1))
'''

WORKFLOW = '''workflow bare
from bare_steps import inc, add
param a: int = 1
x = inc(a)
y = inc(x)
s = add(x, y)
options kfp { workflow: { runtime_package: "WHEEL", embed_modules: ["bare_steps"] } }
return s
'''


def settings(**kw) -> RunSettings:
    return RunSettings(progress=False, **kw)


def bare_project(folder: Path, wheel: str) -> Path:
    folder.mkdir()
    (folder / "bare_steps.py").write_text(STEPS, encoding="utf-8")
    path = folder / "wf.fuse"
    path.write_text(WORKFLOW.replace("WHEEL", wheel), encoding="utf-8")
    return path


def test_the_pipeline_runs_where_nothing_is_preinstalled(fuseflow_wheel, tmp_path, monkeypatch):
    path = bare_project(tmp_path / "project", fuseflow_wheel.as_uri())
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FUSE_LOG", str(log))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    store = tmp_path / "store"
    workflow, _ = compile_file(path)
    outputs = kfp_target.run(workflow, str(path), settings(storage=str(store)), argparse.Namespace(bare=True))
    assert outputs == {"s": 5}
    calls = [line.split("|") for line in log.read_text().splitlines()]
    assert sorted(event for event, *_ in calls) == ["add", "inc", "inc"]
    for _, prefix, fuseflow_file, module_file in calls:
        assert Path(prefix) != Path(sys.prefix)  # a Python of its own
        assert Path(fuseflow_file).is_relative_to(prefix)  # fuseflow installed there, from the wheel
        assert not Path(module_file).is_relative_to(path.parent)  # the module the YAML embeds
    # The local target finds what the bare steps stored, under its own keys: same results.
    workflow, _ = compile_file(path)
    with import_path(path.parent):
        assert get_target("local").run(workflow, str(path), settings(storage=str(store)), None) == outputs
    assert len(log.read_text().splitlines()) == 3  # nothing computed again


LOOP = '''workflow bare
from bare_steps import inc, add, upto
numbers = upto(2)
for n in numbers {
    y = inc(n)
}
s = add(y[0], y[1])
options kfp { workflow: { runtime_package: "WHEEL", embed_modules: ["bare_steps"] } }
return s
'''


def test_a_run_time_loop_runs_where_nothing_is_preinstalled(fuseflow_wheel, tmp_path, monkeypatch):
    """The items step and each iteration's steps install fuseflow and read the module from the YAML too."""
    path = bare_project(tmp_path / "project", fuseflow_wheel.as_uri())
    path.write_text(LOOP.replace("WHEEL", fuseflow_wheel.as_uri()), encoding="utf-8")
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FUSE_LOG", str(log))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    workflow, _ = compile_file(path)
    outputs = kfp_target.run(workflow, str(path), settings(no_cache=True), argparse.Namespace(bare=True))
    assert outputs == {"s": 5}
    calls = [line.split("|") for line in log.read_text().splitlines()]
    assert sorted(event for event, *_ in calls) == ["add", "inc", "inc", "upto"]
    assert all(Path(prefix) != Path(sys.prefix) for _, prefix, *_ in calls)


def test_a_bare_run_wants_the_runtime_in_every_step(tmp_path):
    path = tmp_path / "wf.fuse"
    path.write_text('from m import f\na = f(1)\nb = f(a)\noptions kfp { "a": { runtime_package: "fuseflow" } }\n'
                    "return b\n", encoding="utf-8")
    workflow, _ = compile_file(path)
    with pytest.raises(UsageError, match=r"these steps install no fuseflow runtime: node 'b'; "
                                         r"set the kfp option runtime_package, e\.g\. options kfp \{ workflow: "):
        kfp_target.run(workflow, str(path), settings(no_cache=True), argparse.Namespace(bare=True))
    path.write_text('from m import f\nfor k in [1, 2] {\n    b = f(k)\n}\n'
                    'options kfp { ".*": { runtime_package: "fuseflow" } }\nreturn b\n', encoding="utf-8")
    workflow, _ = compile_file(path)  # a loop's family: assembled by a step of its own
    with pytest.raises(UsageError, match=r"install no fuseflow runtime: the outputs step;"):
        kfp_target.run(workflow, str(path), settings(no_cache=True), argparse.Namespace(bare=True))
    path.write_text('from m import f\na = f(1)\nfor k in a {\n    b = f(k)\n}\n'
                    'options kfp { "a": { runtime_package: "fuseflow" } }\nreturn b\n', encoding="utf-8")
    workflow, _ = compile_file(path)  # a run-time loop: its nodes, its items step
    with pytest.raises(UsageError, match=r"install no fuseflow runtime: node 'b\.\*', the outputs step, the "
                                         r"items steps of run-time loops;"):
        kfp_target.run(workflow, str(path), settings(no_cache=True), argparse.Namespace(bare=True))


def test_fusec_run_offers_bare_for_kfp():
    argv = ["run", "wf.fuse", "--target", "kfp", "--bare"]
    assert build_parser(argv).parse_args(argv).bare is True
