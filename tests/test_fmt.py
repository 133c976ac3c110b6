"""`fusec fmt`'s layout (fuseflow.fmt): golden cases, the API the language server calls,
the safety check, and the comments the lexer hands over.

Golden cases, as black's tests/data/cases: tests/fmt/<case>/input.fuse is
formatted and compared byte for byte with expected.fuse beside it;
`pytest --update-golden` rewrites the expected files, for a reviewer to read
the diff. Each expected file is formatted again to itself, and means what its
input means (the IR, positions aside: meaning() below, used by
tests/test_fmt_corpus.py too).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fuseflow import fmt
from fuseflow.compiler.errors import CompileError
from fuseflow.compiler.frontend import compile_source
from fuseflow.compiler.parser import parse, parse_concrete
from fuseflow.fmt import INDENT, LINE_LENGTH, FormatError, format_source
from fuseflow.fmt.tree import TreeBuilder

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "fmt"
CASES = sorted(path.name for path in CASES_DIR.iterdir() if (path / "input.fuse").is_file())


def meaning(text: str, path: str = "t.fuse") -> tuple:
    """What a file means: its IR as JSON without positions and its warnings, or its
    errors; line numbers in messages ("defined on line 3") are positions too."""
    try:
        workflow, warnings = compile_source(text, path)
    except CompileError as exc:
        return ("errors", sorted(_unplaced(d) for d in exc.diagnostics))
    return ("ir", _without_spans(json.loads(workflow.to_json())), sorted(_unplaced(d) for d in warnings))


def _unplaced(diagnostic) -> tuple[str, str, str]:
    return (diagnostic.severity, *(re.sub(r"\blines? \d+", "line N", text)
                                   for text in (diagnostic.message, diagnostic.hint)))


def _without_spans(value):
    if isinstance(value, dict):
        return {key: _without_spans(item) for key, item in value.items() if key != "span"}
    if isinstance(value, list):
        return [_without_spans(item) for item in value]
    return value


def comments_in(text: str) -> list[str]:
    """The comments of a file, as the lexer finds them, sorted."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    found: list[tuple[int, int]] = []
    parse_concrete(text, TreeBuilder(), found)
    return sorted(text[start:end].rstrip() for start, end in found)


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


# --- golden cases ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool) -> None:
    source = read(CASES_DIR / case / "input.fuse")
    formatted = format_source(source, f"tests/fmt/{case}/input.fuse")
    expected = CASES_DIR / case / "expected.fuse"
    if update_golden:
        expected.write_bytes(formatted.encode("utf-8"))
    assert formatted == read(expected)


@pytest.mark.parametrize("case", CASES)
def test_golden_output_is_stable_and_means_the_input(case: str) -> None:
    source, expected = read(CASES_DIR / case / "input.fuse"), read(CASES_DIR / case / "expected.fuse")
    assert format_source(expected) == expected
    assert meaning(expected.removeprefix("\ufeff")) == meaning(source.removeprefix("\ufeff"))
    assert comments_in(expected) == comments_in(source)


def test_the_cases_cover_what_the_issue_lists() -> None:
    assert {"comments", "long_calls", "nested_literals", "options", "loops", "methods", "params", "imports",
            "return", "blank_lines", "windows_bom_tabs", "aliases_and_dots", "conditions"} <= set(CASES)
    windows = (CASES_DIR / "windows_bom_tabs" / "input.fuse").read_bytes()
    assert windows.startswith(b"\xef\xbb\xbf") and b"\r\n" in windows and b"\t" in windows


# --- the API ---------------------------------------------------------------------------


def test_a_syntax_error_is_the_compile_error_fusec_check_gives() -> None:
    text = "from lib import f\nx = f(1,\ny = f(2)\nlet = 3\n"
    with pytest.raises(CompileError) as formatting:
        format_source(text, "bad.fuse")
    with pytest.raises(CompileError) as compiling:
        compile_source(text, "bad.fuse")
    assert formatting.value.args[0] == compiling.value.args[0]
    assert len(formatting.value.diagnostics) == 2  # every syntax error, not the first


def test_the_default_path_is_stdin() -> None:
    with pytest.raises(CompileError) as info:
        format_source("let x = [")
    assert info.value.args[0].startswith("<stdin>:1:9: error:")


def test_line_endings_bom_and_empty_files() -> None:
    assert format_source("\ufefflet  a = 1\r\nlet b=2\r\n") == "let a = 1\r\nlet b = 2\r\n"
    assert format_source("let a = 1\nlet b = 2\r\n") == "let a = 1\nlet b = 2\n"  # the first line decides
    assert format_source("") == "" and format_source(" \n\t\n") == ""
    assert format_source("# only a comment") == "# only a comment\n"


def test_the_line_length_is_100_columns_and_blocks_indent_by_4() -> None:
    assert (LINE_LENGTH, INDENT) == (100, 4)
    fits = "x = f(" + ", ".join(["1234567"] * 10) + ", 123)"
    assert len(fits) == 100 and format_source(fits) == fits + "\n"
    too_long = fits.replace("123)", "1234)")
    assert format_source(too_long).splitlines()[:2] == ["x = f(", "    1234567,"]
    assert format_source("for x in [1] {\ny = f(x)\n}") == "for x in [1] {\n    y = f(x)\n}\n"


def test_dotted_references_have_no_spaces_and_loops_any_number_of_names() -> None:
    assert format_source("import m as dm\nx = dm.f(dm . DATA [ 0 ], dm.\n add)\n") == (
        "import m as dm\n\nx = dm.f(dm.DATA[0], dm.add)\n")
    assert format_source("for a ,b,c,  d in xs {\n}") == "for a, b, c, d in xs {}\n"
    assert format_source("X  =  split [ 'X' ] [0]") == 'X = split["X"][0]\n'


def test_if_chains_are_laid_out_as_loops_with_spaced_operators_and_kept_parentheses() -> None:
    assert format_source("if a>=t and not(dry){x=f(1)}elif(a<0 or b)and c [ 'k' ]!=2{x=f(2)}else{x=f(3)}") == (
        'if a >= t and not (dry) {\n    x = f(1)\n} elif (a < 0 or b) and c["k"] != 2 {\n    x = f(2)\n'
        "} else {\n    x = f(3)\n}\n")
    assert format_source("if not  not a  or ((b)) { }\nelse\n{\n}") == "if not not a or ((b)) {} else {}\n"
    nested = "for k in xs {\nif k == 1 { if k != 2 { y = f(k) } }\n}"
    assert format_source(nested) == (
        "for k in xs {\n    if k == 1 {\n        if k != 2 {\n            y = f(k)\n        }\n    }\n}\n")


def test_comments_between_the_branches_of_an_if_open_the_next_branch() -> None:
    text = ("if a {  # one\n    x = f(1)\n    # two\n} # three\n# four\nelif b # five\n{\n}\n"
            "else {\n    x = f(2)  # six\n}  # seven\n")
    assert format_source(text) == (
        "if a {  # one\n    x = f(1)\n    # two\n} elif b {  # three\n    # four\n    # five\n"
        "} else {\n    x = f(2)  # six\n}  # seven\n")
    # between `if` and its block, as between a loop's name and `in`: the end of the first line
    assert format_source("if a  # c\n  > 1 { x = f(1) }") == "if a > 1 {  # c\n    x = f(1)\n}\n"


def test_the_formatted_text_is_checked_to_mean_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "render", lambda module: ["let x = 2"])
    with pytest.raises(FormatError, match="does not mean what the source means"):
        format_source("let x = 1\n")
    monkeypatch.setattr(fmt, "render", lambda module: ["let x = ["])
    with pytest.raises(FormatError, match="does not parse"):
        format_source("let x = 1\n")


def test_literals_keep_their_type_in_the_check() -> None:
    shape = fmt._shape
    assert shape(parse("let x = 1")) != shape(parse("let x = 1.0")) != shape(parse("let x = true"))
    assert shape(parse("let x = 1")) == shape(parse("\n\nlet   x =\n 1"))


# --- comments from the lexer -------------------------------------------------------------


def test_the_lexer_hands_over_every_comment_with_its_offsets() -> None:
    text = 'let s = "# not a comment"  # one\n# two\nx = f(  # three\n  1)'
    found: list[tuple[int, int]] = []
    parse_concrete(text, TreeBuilder(), found)
    assert [text[start:end] for start, end in found] == ["# one", "# two", "# three"]


def test_the_compiler_s_parse_does_not_record_comments(monkeypatch: pytest.MonkeyPatch) -> None:
    from fuseflow.compiler.lalr import LalrParser

    def refuse(self, found):
        raise AssertionError("the compile path wrapped its scanners")

    monkeypatch.setattr(LalrParser, "_recording", refuse)
    parse("let x = 1  # a comment\n")
    compile_source("from lib import f\nx = f(1)  # a comment\n")


def test_the_docs_example_is_what_fmt_writes() -> None:
    """docs/language.md, "Formatting": the first ```fuse block formats to the second."""
    doc = (ROOT / "docs" / "language.md").read_text()
    messy, tidy = re.findall(r"```fuse\n(.*?)```", doc[doc.index("\n## Formatting\n"):], re.S)[:2]
    assert format_source(messy) == tidy != messy
