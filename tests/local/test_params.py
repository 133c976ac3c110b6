"""Params on the command line: typed by their declaration, and every mistake a
one-line error with exit status 2 before any node runs."""
from __future__ import annotations

import json

import pytest

from .conftest import compile_module, run_module

WORKFLOW = """
    workflow typed
    from steps import inc, pair

    param a: int
    param f: float = 1.5
    param s: str = "x"
    param flag: bool = false
    param items: list = [1, 2]
    param opts: dict = {"k": 1}

    x = inc(a)
    out = pair(x, [f, s, flag, items, opts])
    return out
"""

ERRORS = [
    ([], "missing required param 'a' (int); pass -p a=VALUE"),
    (["-p", "a=x"], "param 'a': expected int, got 'x'"),
    (["-p", "a=1.5"], "param 'a' expects int, got float 1.5"),
    (["-p", "a=1", "-p", "f=true"], "param 'f' expects float, got bool True"),
    (["-p", "a=1", "-p", "items=3"], "param 'items' expects list, got int 3"),
    (["-p", "a=1", "-p", "opts=[1]"], "param 'opts' expects dict, got list [1]"),
    (["-p", "a=1", "-p", "zz=2"], "unknown param 'zz'; this workflow has: a, f, flag, items, opts, s"),
    (["-p", "a"], "expected NAME=VALUE, got 'a'"),
    (["-p", "a=1", "--set", "nothing"], "--set expects REGEX:KEY=VALUE, got 'nothing'"),
    (["-p", "a=1", "--set", "y:retries=1"], "--set 'y' matches no node (the regex must match a whole name)"),
    (["-p", "a=1", "--set", "x:retries=-1"], "--set 'x': option 'retries' expects an integer >= 0, got -1"),
    (["-p", "a=1", "--set", 'x:env={"K": 1}'],
     '--set \'x\': option \'env\' expects a dict of strings to strings, '
     'got a dict whose value for "K" is 1; write "1"'),
    (["-p", "a=1", "--set", "x:setup=nonexist:fn"], "--set 'x': option 'setup' names 'nonexist:fn', which cannot be "
                                                    "imported: ModuleNotFoundError: No module named 'nonexist'"),
    (["-p", "a=1", "--set", "x:cpus=NaN"],
     "--set 'x:cpus=NaN': the value is nan: NaN and infinities are not option values "
     "(numbers are finite, as in a .fuse file)"),
    (["-p", "a=1", "-p", "s=x\udcff"],
     "param 's' is 'x\\udcff', whose '\\udcff' is a lone surrogate (bytes that are not "
     "UTF-8): param values are valid Unicode text, as in a .fuse file"),
    (["-p", "a=1", "--rerun", "("],
     "--rerun '(' is not a valid regex: missing ), unterminated subpattern at position 0"),
    (["-p", "a=1", "--rerun", "q"], "--rerun 'q' matches no node (the regex must match a whole name)"),
    (["-p", "a=1", "--storage", "file://elsewhere/x"], "storage: file URLs on another host are not supported: file://elsewhere/x"),
    (["-p", "a=1", "-p", "f=NaN"],
     "param 'f' is nan: NaN and infinities are not param values (numbers are finite, as in a .fuse file)"),
    (["-p", "a=1", "-p", "items=" + "[" * 600 + "]" * 600],
     "param 'items' nests lists and dicts more than 32 levels deep"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_fusec_run_param_errors(project, args, message):
    project.fuse(WORKFLOW)
    done = project.run(*args)
    assert done.returncode == 2
    assert done.stderr == f"fusec: error: {message}\n"
    assert done.stdout == ""
    assert project.calls() == []  # nothing ran
    assert not project.store.exists()  # nothing was even opened


@pytest.mark.parametrize(("args", "message"), ERRORS[:3] + ERRORS[6:8])
def test_generated_module_param_errors(project, args, message):
    module = compile_module(project.fuse(WORKFLOW), project.root / "wf.py")
    done = run_module(module, "--storage", str(project.store), *args, cwd=project.root, pythonpath=project.root,
                      env=project.env())
    assert done.returncode == 2
    assert done.stderr == f"wf.py: error: {message}\n"
    assert project.calls() == []


def test_values_take_their_declared_types(project):
    project.fuse(WORKFLOW)
    outputs = project.outputs("-p", "a=1", "-p", "f=2", "-p", "s=true", "-p", "flag=true",
                              "-p", 'items=["a", 2]', "-p", 'opts={"z": null}')
    assert outputs == {"out": {"a": 2, "b": [2.0, "true", True, ["a", 2], {"z": None}],
                               "both": [2, [2.0, "true", True, ["a", 2], {"z": None}]]}}


def test_defaults_apply_and_str_params_take_text_as_is(project):
    project.fuse(WORKFLOW)
    outputs = project.outputs("-p", "a=0", "-p", "s=[not json")
    assert outputs["out"]["b"] == [1.5, "[not json", False, [1, 2], {"k": 1}]


def test_help_shows_required_params(project):
    module = compile_module(project.fuse(WORKFLOW), project.root / "wf.py")
    done = run_module(module, "--help", cwd=project.root, pythonpath=project.root)
    assert "  a: int (required)\n  f: float = 1.5\n" in done.stdout


def test_json_output_of_the_generated_module(project):
    module = compile_module(project.fuse(WORKFLOW), project.root / "wf.py")
    done = run_module(module, "--no-cache", "--json", "-p", "a=1", cwd=project.root, pythonpath=project.root)
    assert json.loads(done.stdout)["out"]["a"] == 2


def test_with_json_what_nodes_print_goes_to_stderr(project):
    project.fuse("""
        workflow loud
        from steps import shout
        x = shout(1)
    """)
    done = project.run("--json", "--no-cache")
    assert done.stdout == '{"x": 1}\n'
    assert done.stderr == "shouting 1\n"
    module = compile_module(project.root / "wf.fuse", project.root / "wf.py")
    done = run_module(module, "--json", "--no-cache", cwd=project.root, pythonpath=project.root)
    assert (done.stdout, done.stderr) == ('{"x": 1}\n', "shouting 1\n")
    done = project.run("--no-cache")
    assert done.stdout == "shouting 1\n1\n"  # without --json, prints stay where the user put them
