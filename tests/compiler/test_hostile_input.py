"""Inputs found by feeding the front end mutated and hostile files: each is a
positioned error or simply works, never an internal error, and an error shows
the line the parser counted, with nothing in it that a terminal would obey."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fuseflow.cli import main
from fuseflow.compiler import errors
from fuseflow.compiler.errors import CompileError, Diagnostic
from fuseflow.compiler.frontend import compile_source
from fuseflow.compiler.nodes import Span
from fuseflow.targets import known_targets


def only_error(text: str) -> Diagnostic:
    with pytest.raises(CompileError) as info:
        compile_source(text, "t.fuse")
    (problem,) = info.value.diagnostics
    return problem


@pytest.mark.parametrize("statement, word, col", [
    ("from m import f as lambda", "lambda", 15),
    ("from m import class as c", "class", 15),
    ("import m as None", "None", 1),
    ("from True.m import f", "True", 1),
    ("import a.return as b", "return", 1),
])
def test_a_python_keyword_cannot_name_a_module_an_import_or_an_alias(statement: str, word: str, col: int):
    """Generated programs write them in Python import statements, which would not compile."""
    problem = only_error(f"{statement}\n")
    assert problem.message == f"'{word}' is a Python keyword and cannot name a module, an import or an alias"
    assert (problem.span.line, problem.span.col) == (1, col)


def test_python_keywords_may_be_node_param_constant_and_loop_names():
    """Those are data in every generated program (strings, keys), never identifiers."""
    workflow, _ = compile_source("from m import f\nparam match: int = 1\nlet type = [1]\nfor case in type {\n"
                                 "  _ = f(match, case)\n}\nclass_ = f(1)\n", "t.fuse")
    assert [node.name for node in workflow.nodes] == ["_.1", "class_"]


@pytest.mark.parametrize("index, message", [
    ('[["k"]]', "a dict is indexed by a string, not list ['k']"),
    ('[{"k": 1}]', "a dict is indexed by a string, not dict {'k': 1}"),
    ("[1]", "a dict is indexed by a string, not int 1"),
])
def test_a_constant_dict_is_indexed_by_a_string(index: str, message: str):
    """A list or dict as the key was a TypeError (unhashable) and exit 70."""
    problem = only_error(f'from m import f\nlet d = {{"1": 1, "k": 2}}\nx = f(d{index})\n')
    assert problem.message == message and (problem.span.line, problem.span.col) == (3, 9)


@pytest.mark.parametrize("separator", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029"])
def test_an_error_shows_the_line_the_parser_counted(separator: str):
    """Only '\\n' ends a line for the parser; str.splitlines also breaks at these."""
    text = f"from m import f\n# one {separator} line\nx = g(1)\n"
    rendered = errors.render("t.fuse", text, [only_error(text)])
    assert rendered.splitlines()[1] == "  3 | x = g(1)"


def test_an_error_line_shows_control_characters_as_symbols_under_the_same_columns():
    text = 'from m import f\nx = g("\x1b[2J\x07\x9b", "\t")\n'
    problem = only_error(text)
    _, line, caret = errors.render("t.fuse", text, [problem]).splitlines()[:3]
    assert line == '  2 | x = g("\u241b[2J\u2407\ufffd", " ")'
    assert caret == "    |     ^"
    assert not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in line + caret)


def test_a_crlf_file_shows_its_lines_without_the_carriage_return():
    text = "from m import f\r\nx = g(1)\r\n"
    rendered = errors.render("t.fuse", text, [Diagnostic("error", "m", Span(2, 5, 2, 6))])
    assert "\r" not in rendered and "  2 | x = g(1)\n" in rendered


HOSTILE = {
    "nul": "from m import f\nx = f(1)\x00\n",
    "bom_inside": "from m import f\n\ufeffx = f(1)\n",
    "non_ascii_name": "from m import f\nx\u00e9 = f(1)\n",
    "long_name": f"from m import f\n{'x' * 100_000} = f(1)\n",
    "long_line": "from m import f\nx = f(" + "1, " * 50_000 + ")\n",
    "digits_as_names": "from m import f\nx = f(\u0663)\n",
    "only_brackets": "(" * 10_000,
    "stray_closers": "]" * 10_000 + "}" * 10_000,
    "index_of_index": "from m import f\nlet a = [[1]]\nx = f(a[a[0][0]][0])\n",
    "keyword_argument_keywords": "from m import f\nx = f(lambda=1, None=2, in=3)\n",
}


@pytest.mark.parametrize("target", known_targets())
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_compile_or_fail_cleanly_on_every_target(tmp_path: Path, case: str, target: str,
                                                               capsys: pytest.CaptureFixture):
    path = tmp_path / f"{case}.fuse"
    path.write_text(HOSTILE[case], encoding="utf-8")
    assert main(["compile", str(path), "--target", target, "-o", str(tmp_path / "out")]) in (0, 1)
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize("target", known_targets())
def test_a_file_name_that_is_not_utf8_is_recorded_with_its_bytes_escaped(tmp_path: Path, monkeypatch, target: str,
                                                                         capsys: pytest.CaptureFixture):
    """Python holds such a byte as a lone surrogate, which the IR wrote raw: exit 70 with -o."""
    monkeypatch.chdir(tmp_path)
    name = os.fsdecode(b"bad\xff.fuse")
    Path(name).write_text("from m import f\nx = f(1)\n", encoding="utf-8")
    assert main(["compile", name, "--target", target, "-o", "out"]) == 0, capsys.readouterr().err
    text = Path("out").read_text(encoding="utf-8")
    shown = json.loads(text)["source"] if target == "ir" else text
    assert "bad\\udcff.fuse" in shown and "\udcff" not in text
