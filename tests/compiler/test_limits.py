"""What a file may hold is what every target can write (fuseflow/compiler/limits.py):
numbers, strings, `-D` values and nesting beyond that are errors at their position,
never an internal error of fusec or a target; at each limit every target writes an
artifact that loads, and a local run gets the values back exactly."""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest
import yaml

from fuseflow import ir
from fuseflow.cli import main
from fuseflow.compiler import limits
from fuseflow.compiler.errors import CompileError, Diagnostic
from fuseflow.compiler.frontend import compile_source
from fuseflow.targets import known_targets

LIMIT = limits.MAX_NESTING
TARGETS = known_targets()


def nested(inner: str, depth: int) -> str:
    return "[" * depth + inner + "]" * depth


def nested_dict(inner: str, depth: int) -> str:
    return '{"k": ' * depth + inner + "}" * depth


def errors_of(text: str, **defines: str) -> list[Diagnostic]:
    with pytest.raises(CompileError) as info:
        compile_source(text, "t.fuse", defines)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def only_error(text: str, **defines: str) -> Diagnostic:
    (problem,) = errors_of(text, **defines)
    return problem


# --- numbers -----------------------------------------------------------------------------


def test_an_integer_has_at_most_4300_digits():
    assert limits.MAX_INT_DIGITS == 4300  # Python's default int/str conversion limit
    for sign in ("", "-", "+"):
        workflow, _ = compile_source(f"from m import f\nx = f({sign}{'9' * 4300})\n", "t.fuse")
        assert workflow.node("x").args[0].value == int(sign + "9" * 4300)
    problem = only_error(f"from m import f\nx = f(1, -{'9' * 4301})\n")
    assert problem.message == "an integer has at most 4300 digits; this one has 4301"
    assert (problem.span.line, problem.span.col, problem.span.end_col) == (2, 10, 10 + 4302)


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1.8e308", "9" * 400 + ".0", "." + "9" * 10 + "e400"])
def test_a_float_literal_must_be_finite(number: str):
    problem = only_error(f"from m import f\nx = f(1, {number})\n")
    assert problem.message.startswith("a float must be finite")
    assert (problem.span.line, problem.span.col, problem.span.end_col) == (2, 10, 10 + len(number))


def test_the_largest_and_smallest_floats_are_kept_exactly():
    workflow, _ = compile_source("from m import f\nx = f(1.7976931348623157e308, -5e-324, 1e-999)\n", "t.fuse")
    assert [a.value for a in workflow.node("x").args] == [1.7976931348623157e308, -5e-324, 0.0]


def test_an_integer_default_beyond_the_largest_float_is_no_float():
    problem = only_error(f"from m import f\nparam p: float = {'9' * 400}\nx = f(p)\n")
    assert problem.message == "param 'p' is declared float but its default is an integer too large for a float"
    assert (problem.span.line, problem.span.col) == (2, 18)


# --- strings -----------------------------------------------------------------------------


@pytest.mark.parametrize("escape", [r"\ud800", r"\udfff", r"\U0000d800", r"\udc80"])
def test_a_lone_surrogate_escape_is_an_error(escape: str):
    problem = only_error(f'from m import f\nx = f("a{escape}b")\n')
    assert problem.message == f"invalid escape in string: {escape} is a lone surrogate, which UTF-8 cannot " \
                              "encode: no target could write it"
    assert (problem.span.line, problem.span.col) == (2, 7)


def test_a_surrogate_pair_written_as_two_escapes_is_two_lone_surrogates():
    """As in Python (JSON would join them): the character itself, or one \\U escape, is the way."""
    assert "\\ud83d is a lone surrogate" in only_error('from m import f\nx = f("\\ud83d\\ude00")\n').message
    workflow, _ = compile_source('from m import f\nx = f("\\U0001F600", "\U0001F600")\n', "t.fuse")
    assert [a.value for a in workflow.node("x").args] == ["\U0001F600", "\U0001F600"]


def test_a_lone_surrogate_in_source_text_given_as_a_str_is_an_error():
    """A file read as UTF-8 cannot hold one; text handed to compile_source can."""
    assert "\\ud800 is a lone surrogate" in only_error('from m import f\nx = f("a\ud800")\n').message


# --- -D values ------------------------------------------------------------------------------


@pytest.mark.parametrize("let, define, message", [
    ("1.0", "NaN", "is nan: NaN and infinities are not -D values"),
    ("1.0", "Infinity", "is inf: NaN and infinities are not -D values"),
    ("1.0", "-Infinity", "is -inf: NaN and infinities are not -D values"),
    ("1.0", "1e999", "is inf: NaN and infinities are not -D values"),
    ("none", "NaN", "is nan: NaN and infinities are not -D values"),
    ("[1.5]", "[1.5, NaN]", "holds nan: NaN and infinities are not -D values"),
    ('{"k": 1}', '{"k": Infinity}', "holds inf: NaN and infinities are not -D values"),
    ('"a"', "b\udcff", "whose '\\udcff' is a lone surrogate"),  # a byte of the command line that is not UTF-8
    ("none", '"\\ud800"', "whose '\\ud800' is a lone surrogate"),
    ('["a"]', '["\\udfff"]', "whose '\\udfff' is a lone surrogate"),
    ('{"k": 1}', '{"\\ud800": 1}', "whose '\\ud800' is a lone surrogate"),
    ("1", "9" * 4301, "an integer has at most 4300 digits; this one has 4301"),
    ("none", "9" * 4301, "an integer has at most 4300 digits; this one has 4301"),
    ("[1]", nested("1", LIMIT + 1), f"this value nests {LIMIT + 1} levels deep, beyond the limit of {LIMIT}"),
    ("[1]", "[" * 100_000, f"this value nests too deep, beyond the limit of {LIMIT}"),
    ("1.0", "9" * 400, "expected float like the `let` on line 2, got an integer too large for a float"),
])
def test_a_define_value_no_target_can_write_is_an_error_at_its_let(let: str, define: str, message: str):
    problem = only_error(f"from m import f\nlet c = {let}\nx = f(c)\n", c=define)
    assert message in problem.message
    assert problem.message.startswith("-D c=") and (problem.span.line, problem.span.col) == (2, 1)
    assert len(problem.message) < 300  # a long value is shown by its start


def test_a_define_value_at_the_limits_is_taken_exactly():
    deep = nested("1", LIMIT)
    workflow, _ = compile_source("from m import f\nlet a = [1]\nlet b = 1\nlet c = 1.5\nx = f(a, b, c)\n", "t.fuse",
                                 {"a": deep, "b": "-" + "9" * 4300, "c": "1.7976931348623157e308"})
    assert [arg.value for arg in workflow.node("x").args] == [json.loads(deep), -int("9" * 4300),
                                                                    1.7976931348623157e308]


# --- nesting ---------------------------------------------------------------------------------


def test_brackets_nest_at_most_the_limit_and_the_first_one_beyond_is_the_error():
    compile_source(f"from m import f\nx = f({nested('1', LIMIT - 1)})\n", "t.fuse")
    problem = only_error(f"from m import f\nx = f({nested('1', 1000)})\ny = f(1)\n")
    assert problem.message == f"this bracket nests {LIMIT + 1} levels deep, beyond the limit of {LIMIT}"
    assert (problem.span.line, problem.span.col) == (2, 7 + LIMIT - 1)


def test_each_outermost_bracket_too_deep_is_one_error():
    """Here each call's '(': its two lists too deep are one mistake, reported once."""
    deep = nested("1", LIMIT + 5)
    problems = errors_of(f"from m import f\nx = f({deep}, {deep})\ny = f({deep})\n")
    assert [(p.span.line, p.span.col) for p in problems] == [(2, 6 + LIMIT), (3, 6 + LIMIT)]


def test_brackets_in_strings_and_comments_do_not_count():
    workflow, _ = compile_source(f"from m import f\nx = f(\"{'[' * 500}\")  # {'(' * 500}\n", "t.fuse")
    assert workflow.node("x").args == (ir.Literal("[" * 500),)


def loops(depth: int, body: str = "x = f(1)") -> str:
    heads = "".join(f"for v{i} in [1] {{\n" for i in range(depth))
    return f"from m import f\n{heads}{body}\n{'}' * depth}\n"


def test_loops_nest_with_the_brackets_and_the_first_one_beyond_is_the_error():
    workflow, _ = compile_source(loops(LIMIT - 1), "t.fuse")  # with the call's '(': LIMIT brackets
    assert workflow.nodes[0].name == "x" + ".1" * (LIMIT - 1)
    problem = only_error(loops(1000))
    assert problem.message == f"this bracket nests {LIMIT + 1} levels deep, beyond the limit of {LIMIT}"
    assert (problem.span.line, problem.span.col) == (LIMIT + 2, len(f"for v{LIMIT} in ") + 1)


@pytest.mark.parametrize("statement, where", [
    ("let b = [[a]]", (4, 9)),
    ("x = f([p, [a]])", (4, 7)),
    ('x = f({"k": [p, a]})', (4, 7)),
    ("param q: list = [[a]]", (4, 17)),
    ("for i in [[a]] {\n  x = f(i)\n}", (4, 10)),
    ('options { "x": { env: {"K": [a]} } }\nx = f(1)', (4, 23)),
])
def test_a_value_nests_at_most_the_limit_with_the_constants_in_it(statement: str, where: tuple):
    text = f"from m import f\nparam p: int = 1\nlet a = {nested('1', LIMIT - 1)}\n{statement}\n"
    problem = only_error(text)
    assert problem.message == f"this value nests {LIMIT + 1} levels deep, beyond the limit of {LIMIT}"
    assert (problem.span.line, problem.span.col) == where


def test_a_family_nests_one_level_per_loop():
    text = loops(LIMIT - 1, "fam = f(1)") + "x = f(fam, [fam])\ny = f([[fam]])\n"
    problem = only_error(text)
    assert problem.message == f"this value nests {LIMIT + 1} levels deep, beyond the limit of {LIMIT}"
    assert (problem.span.line, problem.span.col) == (LIMIT + 4, 7)  # y's list; x's are within the limit


def test_a_workflow_stops_growing_at_the_expansion_limit(monkeypatch: pytest.MonkeyPatch):
    """Loops nested within the limit could otherwise run 2**31 iterations."""
    monkeypatch.setattr(limits, "MAX_EXPANSION", 1000)
    heads = "".join(f"for v{i} in [1, 2] {{\n" for i in range(LIMIT - 1))
    for body in ("x = f(1)", ""):  # nodes, or iterations alone
        problem = only_error(f"from m import f\n{heads}{body}\n{'}' * (LIMIT - 1)}\n")
        assert problem.message == "the workflow grows beyond 1,000 nodes or loop iterations here"
    problem = only_error("from m import f\n" + "".join(f"x{i} = f({i})\n" for i in range(1001)))
    assert (problem.span.line, problem.message) == (
        1002, "the workflow grows beyond 1,000 nodes or loop iterations here")


# --- every target, at the limits and beyond them ---------------------------------------------------

DEPTH_OPS = '''
def depth(*values):
    def d(v):
        if isinstance(v, (list, tuple, dict)):
            return 1 + max((d(x) for x in (v.values() if isinstance(v, dict) else v)), default=0)
        return 0
    return [d(v) for v in values]


def same(*values):
    return list(values)


def one():
    return 1
'''


def at_the_limits() -> str:
    """Every limit reached at once: the deepest values (constant, with references,
    a family of the deepest loops), the longest integers, the largest float, the
    last character."""
    loop_heads = "".join(f"for v{i} in [1] {{\n" for i in range(LIMIT - 1))
    return "\n".join([
        "workflow limits",
        "from limit_ops import depth, same, one",
        "param p: int = 1",
        f"param q: list = {nested('1', LIMIT)}",
        f"param r: dict = {nested_dict('1', LIMIT)}",
        f"let a = {nested('1', LIMIT)}",
        f"let d = {nested_dict('[1]', LIMIT - 1)}",
        "c = one()",
        f"x = depth(a, q, r, d, {nested('p', LIMIT - 1)}, {nested('c', LIMIT - 1)}, {nested_dict('[c]', LIMIT - 2)})",
        f"n = same({'9' * 4300}, -{'9' * 4300}, 1.7976931348623157e308, -5e-324, \"\\U0010ffff\\ufffe\\x00\")",
        f"{loop_heads}fam = one()\n{'}' * (LIMIT - 1)}",
        "y = depth([fam], fam)",
        "return x, n, y\n",
    ])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "limit_ops.py").write_text(DEPTH_OPS, encoding="utf-8")
    (tmp_path / "limits.fuse").write_text(at_the_limits(), encoding="utf-8")
    yield tmp_path
    sys.modules.pop("limit_ops", None)


def artifact_loads(target: str, text: str) -> None:
    """The artifact reads back: Python that compiles, strict JSON, YAML."""
    if target == "ir":
        json.loads(text, parse_constant=lambda word: pytest.fail(f"{word} in the IR"))
    elif target == "kfp":
        assert list(yaml.safe_load_all(text))
    else:
        ast.parse(text)
        compile(text, f"{target}.py", "exec")


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_writes_a_file_at_every_limit(project: Path, target: str, capsys: pytest.CaptureFixture):
    assert main(["compile", "limits.fuse", "--target", target, "-o", f"out.{target}"]) == 0, capsys.readouterr().err
    artifact_loads(target, (project / f"out.{target}").read_text(encoding="utf-8"))


@pytest.mark.parametrize("target", ["local", pytest.param("kfp", marks=[pytest.mark.kfp, pytest.mark.slow])])
def test_a_run_at_every_limit_gets_every_value_back(project: Path, target: str, capsys: pytest.CaptureFixture):
    """KFP sets the nesting limit: a step receives its values as protobuf messages,
    read at most 100 deep, three per level of a dict (a dict 33 deep fails there)."""
    if target == "kfp":
        pytest.importorskip("kfp")
    assert main(["run", "limits.fuse", "--target", target, "--json", "--no-cache"]) == 0, capsys.readouterr().err
    outputs = json.loads(capsys.readouterr().out)
    assert outputs["x"] == [LIMIT, LIMIT, LIMIT, LIMIT, LIMIT - 1, LIMIT - 1, LIMIT - 1]
    assert outputs["y"] == [LIMIT, LIMIT - 1]
    assert outputs["n"] == [int("9" * 4300), -int("9" * 4300), 1.7976931348623157e308, -5e-324, "\U0010ffff\ufffe\x00"]


BEYOND = {
    "int_digits": f"from m import f\nx = f({'9' * 4301})\n",
    "float_literal": "from m import f\nx = f(1e999)\n",
    "float_default": f"from m import f\nparam p: float = {'9' * 400}\nx = f(p)\n",
    "surrogate": 'from m import f\nx = f("\\ud800")\n',
    "surrogate_U": 'from m import f\nx = f(["\\U0000dfff"])\n',
    "list_199": f"from m import f\nx = f({nested('1', 199)})\n",
    "list_400": f"from m import f\nparam p: int = 1\nx = f({nested('p', 400)})\n",
    "loops_1000": loops(1000),
    "composed": f"from m import f\nlet a = {nested('1', 40)}\nlet b = {nested('a', 40)}\nx = f(b)\n",
}
BAD_DEFINES = ["NaN", "Infinity", "-Infinity", "1e999", '"\\ud800"', "[" * 5000, "9" * 5000]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(BEYOND))
def test_beyond_a_limit_every_target_fails_cleanly(tmp_path: Path, case: str, target: str,
                                                   capsys: pytest.CaptureFixture):
    path = tmp_path / f"{case}.fuse"
    path.write_text(BEYOND[case], encoding="utf-8")
    assert main(["compile", str(path), "--target", target]) == 1
    err = capsys.readouterr().err
    assert f"{case}.fuse:" in err and "internal error" not in err


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("define", BAD_DEFINES, ids=range(len(BAD_DEFINES)))
def test_a_define_no_target_can_write_fails_cleanly_on_every_target(tmp_path: Path, define: str, target: str,
                                                                     capsys: pytest.CaptureFixture):
    path = tmp_path / "d.fuse"
    path.write_text("from m import f\nlet c = none\nx = f(c)\n", encoding="utf-8")
    assert main(["compile", str(path), "--target", target, "-D", f"c={define}"]) == 1
    err = capsys.readouterr().err
    assert "d.fuse:2:1: error: -D c=" in err and "internal error" not in err
