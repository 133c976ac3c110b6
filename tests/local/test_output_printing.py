"""Printing the outputs never fails a run that succeeded: `--json` always prints
valid JSON, a value JSON has no form for is written in a documented stand-in
form, and a warning on stderr names the output (fuseflow.runtime.outputs)."""
from __future__ import annotations

import json

import pytest

ODD = '''
import math

def nan(x):
    return float("nan")

def infinities(x):
    return {"up": math.inf, "down": [-math.inf, 1.5]}

def circular(x):
    items = [x]
    items.append(items)
    return items

class Unprintable:
    def __repr__(self):
        raise ValueError("no repr")

def unprintable(x):
    return [x, Unprintable()]

class Opaque:
    def __repr__(self):
        return "Opaque()"

def keys(x):
    return {1: "int", None: "none", (1, 2): "tuple", "v": Opaque()}

def huge(x):
    return 10 ** 5000

def surrogate(x):
    return "\\ud800"

def deep(x):
    value = []
    for _ in range(100_000):
        value = [value]
    return value
'''


def run(project, fn: str, *args: str):
    project.write("odd.py", ODD)
    project.fuse(f"workflow odd\nfrom odd import {fn}\nx = {fn}(1)\nreturn x\n")
    return project.run("--no-cache", *args)


@pytest.mark.parametrize(("fn", "expected", "warning"), [
    ("nan", None, "holds NaN or an infinity, written as null (JSON has no number for them)"),
    ("infinities", {"up": None, "down": [None, 1.5]}, "holds NaN or an infinity, written as null"),
    ("circular", "[1, [...]]", "contains itself, written as its repr()"),
    ("unprintable", [1, "<Unprintable object; repr() raised ValueError>"],
     "holds a Unprintable whose repr() raises ValueError, shown as <Unprintable object; repr() raised ValueError>"),
    ("keys", {"1": "int", "null": "none", "(1, 2)": "tuple", "v": "Opaque()"},
     "holds a tuple key, written as its repr() (JSON keys are strings); holds a Opaque, written as its repr()"),
    ("surrogate", "\ud800", None),
], ids=["nan", "infinities", "circular", "unprintable", "keys", "surrogate"])
def test_json_output_is_always_valid_json_and_names_the_output_shown_otherwise(project, fn, expected, warning):
    done = run(project, fn, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout, parse_constant=pytest.fail) == {"x": expected}
    if warning is None:
        assert done.stderr == ""
    else:
        assert done.stderr.startswith(f"warning: output 'x' {warning}")


def test_json_output_writes_every_digit_of_a_huge_int(project):
    done = run(project, "huge", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"x": 1' + "0" * 5000 + "}\n"


def test_json_output_of_a_value_nested_too_deeply_is_its_stand_in(project):
    done = run(project, "deep", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"x": "<list object; repr() raised RecursionError>"}
    assert done.stderr.startswith("warning: output 'x' nests too deeply for JSON, written as its repr()")


@pytest.mark.parametrize(("fn", "expected", "warning"), [
    ("nan", "nan\n", ""),
    ("circular", "[1, [...]]\n", ""),
    ("unprintable", "<list object; repr() raised ValueError>\n",
     "warning: output 'x' holds a list whose repr() raises ValueError, "
     "shown as <list object; repr() raised ValueError>\n"),
    ("surrogate", "\\ud800\n", ""),
    ("huge", "1" + "0" * 5000 + "\n", ""),
], ids=["nan", "circular", "unprintable", "surrogate", "huge"])
def test_text_output_never_fails_after_the_run(project, fn, expected, warning):
    done = run(project, fn)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
    assert done.stderr == warning


def test_storage_show_text_of_a_value_whose_repr_raises_is_its_stand_in():
    from fuseflow.cli.storage import value_text

    class Unprintable:
        def __repr__(self):
            raise TypeError("no repr")

    assert value_text(Unprintable()) == "<Unprintable object; repr() raised TypeError>"
    assert value_text(10 ** 5000, full=True) == "1" + "0" * 5000
