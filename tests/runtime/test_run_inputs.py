"""A run's inputs, checked before anything runs: params (typed by their
declaration), option overrides (`--set`, `query().set()`) and their values."""
from __future__ import annotations

import re

import pytest

from fuseflow.runtime.overrides import Override, check, effective_options, normalize, parse_set
from fuseflow.runtime.params import Param, ParamError, parse_assignments, parse_text, resolve
from fuseflow.schemas import parse_duration as duration

PARAMS = [Param("n", "int"), Param("x", "float", 0.5, False), Param("s", "str", "a", False),
          Param("flag", "bool", False, False), Param("items", "list", [], False), Param("opts", "dict", None, False)]


def test_texts_parse_by_declared_type():
    values = resolve(PARAMS, {}, {"n": "3", "x": "2", "s": "12", "flag": "true", "items": "[1, \"a\"]",
                                  "opts": '{"k": null}'})
    assert values == {"n": 3, "x": 2.0, "s": "12", "flag": True, "items": [1, "a"], "opts": {"k": None}}
    assert type(values["x"]) is float


def test_typed_values_and_defaults():
    assert resolve(PARAMS, {"n": 1}) == {"n": 1, "x": 0.5, "s": "a", "flag": False, "items": [], "opts": None}
    assert resolve(PARAMS, {"n": None})["n"] is None  # none is a value of every type, as in the language


@pytest.mark.parametrize(("given", "texts", "message"), [
    ({}, {}, "missing required param 'n' (int); pass -p n=VALUE"),
    ({"n": True}, {}, "param 'n' expects int, got bool True"),
    ({"n": 1.0}, {}, "param 'n' expects int, got float 1.0"),
    ({}, {"n": "one"}, "param 'n': expected int, got 'one'"),
    ({}, {"n": "1", "flag": "1"}, "param 'flag' expects bool, got int 1"),
    ({"m": 1}, {}, "unknown param 'm'; this workflow has: flag, items, n, opts, s, x"),
])
def test_param_errors(given, texts, message):
    with pytest.raises(ParamError) as error:
        resolve(PARAMS, given, texts)
    assert str(error.value) == message


def test_assignments_and_texts():
    assert parse_assignments(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ParamError, match="expected NAME=VALUE, got '=1'"):
        parse_assignments(["=1"])
    assert parse_text("none", None) is None and parse_text("hello", None) == "hello"
    assert parse_text("none", "str") == "none"


def test_parse_set():
    override = parse_set(r"model\..*:retries=3")
    assert override.pattern.pattern == r"model\..*" and override.options == {"retries": 3}
    assert parse_set(".*:setup=pkg.init:init_worker").options == {"setup": "pkg.init:init_worker"}
    assert parse_set("a:b:timeout=\"10m\"").pattern.pattern == "a:b"
    assert parse_set('x:env={"A": "1"}').options == {"env": {"A": "1"}}
    for bad in ("x", "x:=1", ":retries", "x:1a=2"):
        with pytest.raises(ParamError, match="--set expects REGEX:KEY=VALUE"):
            parse_set(bad)
    with pytest.raises(ParamError, match=r"--set '\[' is not a valid regex"):
        parse_set("[:retries=1")


def test_check_normalizes_and_rejects():
    names = ["data.a", "data.b", "model"]
    [override] = check([parse_set('data\\..*:timeout="1m30s"')], names)
    assert override.options == {"timeout": 90.0}
    did_you_mean = r"--set 'modle' matches no node \(the regex must match a whole name\); did you mean 'model'\?"
    with pytest.raises(ParamError, match=did_you_mean):
        check([parse_set("modle:retries=1")], names)
    with pytest.raises(ParamError, match="--set 'data' matches no node"):
        check([parse_set("data:retries=1")], names)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("retries", 2, 2), ("retry_delay", "500ms", 0.5), ("timeout", 3, 3.0), ("timeout", "1h", 3600.0),
    ("timeout", "1d2h3m4s", 93784.0), ("seed", 0, 0), ("setup", "m:f", "m:f"), ("setup", len, len),
    ("env", {"A": "1"}, {"A": "1"}), ("cache", False, False), ("always_read", True, True), ("cpus", 0.5, 0.5),
    ("memory", "2Gi", 2 * 2**30),
])
def test_normalize(key, value, expected):
    assert normalize(key, value) == expected


@pytest.mark.parametrize(("key", "value", "message"), [  # the messages of a .fuse file's options blocks
    ("retries", 1.5, "option 'retries' expects an integer >= 0, got 1.5"),
    ("retries", True, "option 'retries' expects an integer >= 0, got true"),
    ("timeout", "10 minutes", "option 'timeout' expects a duration"),
    ("timeout", -1, "option 'timeout' expects a duration such as 30, \"90s\", \"10m\" or \"1h30m\", got -1"),
    ("setup", "not a callable", "option 'setup' expects an imported callable (a name from a `from ... import` line), "
                                "got a string; on the command line a callable is written \"module:qualname\""),
    ("env", ["A"], "option 'env' expects a dict of strings to strings, got a list"),
    ("env", {"A": 1},
     "option 'env' expects a dict of strings to strings, got a dict whose value for \"A\" is 1; write \"1\""),
    ("cache", "no", "option 'cache' expects true or false, got a string"),
    ("seeds", 1, "unknown option 'seeds'; did you mean 'seed'?"),
    ("cpus", float("nan"), "option 'cpus' expects a number, got nan"),
])
def test_normalize_errors(key, value, message):
    with pytest.raises(ParamError) as error:
        normalize(key, value)
    assert str(error.value).startswith(message)


def test_later_overrides_win():
    overrides = [Override(re.compile(".*"), {"retries": 1, "seed": 1}), Override(re.compile("m"), {"retries": 3})]
    assert effective_options("m", {"timeout": 5.0}, overrides) == {"timeout": 5.0, "retries": 3, "seed": 1}
    assert effective_options("n", {"retries": 0}, overrides) == {"retries": 1, "seed": 1}
    compiled = {"retries": 2}
    assert effective_options("m", compiled, []) is compiled  # no copy when nothing applies


def test_duration():
    assert duration("90s") == 90.0 and duration("2.5") == 2.5 and duration("250ms") == 0.25
    for bad in ("", "s", "1m1h", "-3s"):
        with pytest.raises(ValueError):
            duration(bad)


@pytest.mark.parametrize(("texts", "message"), [
    ({"x": "NaN"},
     "param 'x' is nan: NaN and infinities are not param values (numbers are finite, as in a .fuse file)"),
    ({"x": "Infinity"}, "param 'x' is inf: NaN and infinities are not param values"),
    ({"x": "-Infinity"}, "param 'x' is -inf: NaN and infinities are not param values"),
    ({"x": "1e999"}, "param 'x' is inf: NaN and infinities are not param values"),
    ({"items": "[1, [NaN]]"}, "param 'items' holds nan: NaN and infinities are not param values"),
    ({"opts": '{"k": {"m": -1e400}}'}, "param 'opts' holds -inf: NaN and infinities are not param values"),
    ({"s": "x\udcff"}, "param 's' is 'x\\udcff', whose '\\udcff' is a lone surrogate (bytes that are not UTF-8): "
                       "param values are valid Unicode text, as in a .fuse file"),
    ({"items": '["\\ud800"]'}, "param 'items' holds '\\ud800', whose '\\ud800' is a lone surrogate"),
    ({"opts": '{"\\udfff": 1}'}, "param 'opts' holds '\\udfff', whose '\\udfff' is a lone surrogate"),
])
def test_a_param_value_a_fuse_file_cannot_write_is_refused(texts, message):
    """Numbers are finite and text is valid Unicode, as in a .fuse file."""
    with pytest.raises(ParamError) as error:
        resolve(PARAMS, {"n": 1}, texts)
    assert str(error.value).startswith(message)


def test_a_param_given_in_python_is_finite_too():
    with pytest.raises(ParamError, match=r"^param 'x' is nan: "):
        resolve(PARAMS, {"n": 1, "x": float("nan")})


@pytest.mark.parametrize("text", ["[" * 33 + "]" * 33, "[" * 100_000 + "]" * 100_000, "[" * 100_000])
def test_a_param_nested_too_deeply_is_an_input_error(text):
    with pytest.raises(ParamError, match=r"^param 'items' nests lists and dicts more than 32 levels deep$"):
        resolve(PARAMS, {"n": 1}, {"items": text})
    assert resolve(PARAMS, {"n": 1}, {"items": "[" * 32 + "]" * 32})["items"]  # 32 levels are fine, as in a .fuse file


def test_a_long_text_is_shortened_in_the_message():
    with pytest.raises(ParamError) as error:
        resolve(PARAMS, {}, {"n": "9" * 5000})
    assert str(error.value) == "param 'n': expected int, got '" + "9" * 59 + "... (5002 characters)"


@pytest.mark.parametrize(("text", "message"), [
    ("x:cpus=NaN", "--set 'x:cpus=NaN': the value is nan: NaN and infinities are not option values"),
    ('x:env={"K": "\\udcff"}',
     "--set 'x:env={\"K\": \"\\\\udcff\"}': the value holds '\\udcff', whose '\\udcff' is a lone"),
    ("x:env=" + "[" * 100_000, "--set 'x:env=[[[["),
])
def test_a_set_value_a_fuse_file_cannot_write_is_refused(text, message):
    with pytest.raises(ParamError) as error:
        parse_set(text)
    assert str(error.value).startswith(message)
