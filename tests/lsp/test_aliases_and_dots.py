"""Aliases (`X = split["X_train"]`), dotted references into imports (`tb.DATA[0]`) and loops
over several names, in hover, go to definition, completion and document symbols."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import Editor
from .test_features import hover_text, labels, outline

TABLES = '''"""Tables for the tests."""
DATA = [1, 2, 3]
SIZES: dict = {"big": 10}


def add_one(a):
    """Add one."""
    return a + 1
'''

FLOW = """\
workflow aliases
from ops import add, Counter
import tables as tb
let rows = [["a", 1, 2], ["b", 3, 4]]
s = add(tb.DATA[0], tb.SIZES["big"])
S = s
T = S["k"]
for name, x, y in rows {
    t = add(x, y)
    X = t
    u = add(X, tb.add_one)
}
K = Counter
k = K(start=1)
v = add(T, tb.
    DATA[1])
R = rows[0][1]
options { "s": { retries: R } }
"""


@pytest.fixture(scope="module")
def flow(editor: Editor, workspace: Path) -> str:
    (workspace / "tables.py").write_text(TABLES, encoding="utf-8")
    uri = editor.open(workspace / "aliases.fuse", FLOW)
    assert [d.message for d in editor.diagnostics(uri, version=1) if d.severity == types.DiagnosticSeverity.Error] == []
    return uri


def location(editor: Editor, uri: str, line: int, character: int) -> tuple[str, int, int]:
    (found,) = editor.definition(uri, line, character)
    return found.uri, found.range.start.line, found.range.start.character


# --- aliases ----------------------------------------------------------------------------


def test_hover_on_an_alias_names_what_it_stands_for(editor: Editor, flow: str) -> None:
    named = hover_text(editor, flow, 5, 0)  # `S = s`
    assert "**S** = `s` — an alias: no node, `S` reads `s`" in named and "`s` is a node: `add(…)`" in named
    assert hover_text(editor, flow, 6, 4) == named  # `S` used in `T = S["k"]`
    chained = hover_text(editor, flow, 14, 8)  # `T` used: an alias of an alias
    assert '**T** = `S["k"]`' in chained and 'that is `s["k"]`' in chained and "`s` is a node" in chained
    in_loop = hover_text(editor, flow, 10, 12)  # `X` used in its loop
    assert "**X** = `t` — an alias made in a loop, used only inside it" in in_loop
    assert "`rows` is a constant" in hover_text(editor, flow, 16, 0)  # `R = rows[0][1]`


def test_hover_on_an_alias_of_an_imported_class_is_the_class(editor: Editor, flow: str) -> None:
    for line, character in [(12, 0), (13, 4)]:  # `K = Counter`, and `K(start=1)`
        text = hover_text(editor, flow, line, character)
        assert "**K** = `Counter` — an alias" in text and "class Counter(start=0)" in text and "Counts." in text


def test_definition_of_an_alias_use_is_its_line(editor: Editor, flow: str, workspace: Path) -> None:
    assert location(editor, flow, 6, 4) == (flow, 5, 0)  # `S` -> `S = s`
    assert location(editor, flow, 14, 8) == (flow, 6, 0)  # `T` -> `T = S["k"]`
    assert location(editor, flow, 10, 12) == (flow, 9, 4)  # `X` -> `X = t`, in the loop
    assert location(editor, flow, 13, 4) == (flow, 12, 0)  # the callee `K` -> `K = Counter`
    assert location(editor, flow, 17, 26) == (flow, 16, 0)  # `retries: R` -> `R = ...`


# --- dotted references --------------------------------------------------------------------


def test_hover_on_a_dotted_reference_is_the_python_behind_it(editor: Editor, flow: str) -> None:
    data = hover_text(editor, flow, 4, 12)  # `tb.DATA[0]`
    assert "`tables:DATA` — " in data and "tables.py:2" in data and "a `list` value" in data
    assert "Built-in" not in data  # a value's docstring would be its type's
    assert "tables.py:3" in hover_text(editor, flow, 4, 24)  # `tb.SIZES["big"]`, annotated
    assert "tables.py:2" in hover_text(editor, flow, 15, 5)  # `DATA` on the line after `tb.`
    function = hover_text(editor, flow, 10, 19)  # `tb.add_one` passed as a value
    assert "def add_one(a)" in function and "Add one." in function
    assert "Tables for the tests." in hover_text(editor, flow, 4, 9)  # the module alias `tb`


def test_definition_of_a_dotted_reference_is_its_python_line(editor: Editor, flow: str, workspace: Path) -> None:
    tables = (workspace / "tables.py").resolve().as_uri()
    assert location(editor, flow, 4, 12) == (tables, 1, 0)  # `DATA = [1, 2, 3]`
    assert location(editor, flow, 4, 24) == (tables, 2, 0)  # `SIZES: dict = ...`
    assert location(editor, flow, 15, 5) == (tables, 1, 0)
    assert location(editor, flow, 10, 19) == (tables, 5, 0)  # `def add_one`
    assert location(editor, flow, 4, 9) == (tables, 0, 0)  # the module


# --- loops over several names ---------------------------------------------------------------


def test_every_name_of_a_loop_is_a_loop_variable(editor: Editor, flow: str) -> None:
    for character in (4, 10, 13):  # `for name, x, y in rows`
        assert "for name, x, y in rows" in hover_text(editor, flow, 7, character)
    assert "for name, x, y in rows" in hover_text(editor, flow, 8, 15)  # `y` used
    assert location(editor, flow, 8, 15) == (flow, 7, 13)
    assert location(editor, flow, 8, 12) == (flow, 7, 10)


# --- completion and symbols -------------------------------------------------------------------


def test_completion_offers_aliases_and_loop_variables_where_they_are_in_scope(editor: Editor, flow: str) -> None:
    in_loop = editor.completion(flow, 10, 12)  # inside `add(X, ...)`
    assert {"S", "T", "X", "name", "x", "y", "s", "t", "tb"} <= set(labels(in_loop))
    alias = next(item for item in in_loop if item.label == "X")
    assert (alias.kind, alias.detail) == (types.CompletionItemKind.Variable, "alias")
    after = labels(editor.completion(flow, 14, 8))  # after the loop: not its variables nor its alias
    assert {"S", "T", "K", "u"} <= set(after) and not {"X", "name", "x", "y"} & set(after)
    option = labels(editor.completion(flow, 17, 26))  # an option's value: constants, and aliases of them
    assert {"rows", "R", "K", "add"} <= set(option) and not {"S", "T", "s"} & set(option)


def test_document_symbols_list_aliases_and_multi_name_loops(editor: Editor, flow: str) -> None:
    symbols = editor.symbols(flow)
    assert outline(symbols)[4:] == [
        "rows Constant 3",
        "s Function 4",
        "S Variable 5",
        "T Variable 6",
        "for name, x, y in rows Namespace 7",
        "  t Function 8",
        "  X Variable 9",
        "  u Function 10",
        "K Variable 12",
        "k Function 13",
        "v Function 14",
        "R Variable 16",
        "options Object 17",
        "  s Property 17",
    ]
    assert next(symbol for symbol in symbols if symbol.name == "S").detail == "alias"
