"""`if` / `elif` / `else` in the language server: the file checks clean, the outline has a
namespace per branch with its nodes, names in tests and branches go to their definitions."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import Editor
from .test_features import labels, outline

FLOW = """\
workflow deciding
from ops import add
param n: int = 1
a = add(n, 1)
if a >= n and not (n == 2) {
    pushed = add(a, 10)
} elif a == 3 {
    pushed = add(a, 1)
} else {
    pushed = add(n, 0)
}
last = add(pushed, 0)
"""


@pytest.fixture(scope="module")
def flow(editor: Editor, workspace: Path) -> str:
    uri = editor.open(workspace / "deciding.fuse", FLOW)
    assert [d.message for d in editor.diagnostics(uri, version=1) if d.severity == types.DiagnosticSeverity.Error] == []
    return uri


def test_the_outline_has_a_namespace_per_branch(editor: Editor, flow: str) -> None:
    assert outline(editor.symbols(flow))[3:] == [
        "a Function 3",
        "if a >= n and not (n == 2) Namespace 4",
        "  pushed Function 5",
        "elif a == 3 Namespace 6",
        "  pushed Function 7",
        "else Namespace 8",
        "  pushed Function 9",
        "last Function 11",
    ]


def test_a_name_in_a_test_goes_to_its_definition(editor: Editor, flow: str) -> None:
    (found,) = editor.definition(flow, 4, 3)  # `a` in `if a >= n`
    assert (found.range.start.line, found.range.start.character) == (3, 0)
    (param,) = editor.definition(flow, 6, 7)  # `a` in `elif a == 3`
    assert param.range.start.line == 3


# --- a name every branch assigns, names of one branch -----------------------------------------

BRANCHES = """\
from ops import add
param n: int = 1
a = add(n, 1)
for k in [1, 2] {
    if k == 1 {
        X = a
        v = add(X, k)
    } else {
        v = add(n, k)
    }
    w = add(v, k)
}
if a > n {
    p = add(a, 1)
    only = add(p, 1)
    if n == 1 { r = add(1, 1) } else { r = add(2, 2) }
    q = add(r, 1)
} elif a == 3 {
    p = add(a, 2)
    q = add(p, 1)
} else {
    p = add(a, 3)
    q = add(p, 0)
}
last = add(p, q)
"""


@pytest.fixture(scope="module")
def branches(editor: Editor, workspace: Path) -> str:
    uri = editor.open(workspace / "branches.fuse", BRANCHES)
    assert [d.message for d in editor.diagnostics(uri, version=1) if d.severity == types.DiagnosticSeverity.Error] == []
    return uri


def lines_of(found: list[types.Location]) -> list[tuple[int, int]]:
    return [(location.range.start.line, location.range.start.character) for location in found]


def test_a_name_every_branch_assigns_goes_to_each_branch_s_definition(editor: Editor, branches: str) -> None:
    assert lines_of(editor.definition(branches, 24, 11)) == [(13, 4), (18, 4), (21, 4)]  # `p` in `last = add(p, q)`
    assert lines_of(editor.definition(branches, 24, 14)) == [(16, 4), (19, 4), (22, 4)]  # `q`
    assert lines_of(editor.definition(branches, 10, 12)) == [(6, 8), (8, 8)]  # `v` after the `if` in the loop
    assert lines_of(editor.definition(branches, 16, 12)) == [(15, 16), (15, 39)]  # `r` after the nested `if`


def test_inside_a_branch_a_name_is_that_branch_s(editor: Editor, branches: str) -> None:
    assert lines_of(editor.definition(branches, 19, 12)) == [(18, 4)]  # `p` in the `elif` branch
    assert lines_of(editor.definition(branches, 22, 12)) == [(21, 4)]  # `p` in the `else` branch
    assert lines_of(editor.definition(branches, 14, 15)) == [(13, 4)]  # `p` in the first branch
    assert lines_of(editor.definition(branches, 6, 16)) == [(5, 8)]  # the alias `X` in its branch


def test_completion_after_an_if_offers_the_names_every_branch_assigns_only(editor: Editor, branches: str) -> None:
    names = labels(editor.completion(branches, 24, 11))  # in `last = add(p, q)`
    assert {"p", "q", "a", "n", "add", "v", "w"} <= set(names)
    assert not {"only", "r", "X", "k"} & set(names) and names.count("p") == 1
    in_elif = labels(editor.completion(branches, 19, 12))  # in the `elif` branch: not the first branch's names
    assert {"a", "p"} <= set(in_elif) and not {"only", "r"} & set(in_elif)
    in_first = labels(editor.completion(branches, 16, 4))
    assert {"p", "only", "r"} <= set(in_first)


def test_hover_on_a_name_every_branch_assigns_names_the_node_of_each(editor: Editor, branches: str) -> None:
    found = editor.hover(branches, 24, 11)
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    assert "**p**" in found.contents.value and "each of 3 branches" in found.contents.value
    assert "`p.if`, `p.elif1`, `p.else`" in found.contents.value
    alias = editor.hover(branches, 6, 16)
    assert alias is not None and isinstance(alias.contents, types.MarkupContent)
    assert "an alias made in an `if` branch, used only inside it" in alias.contents.value


def test_the_outline_holds_nested_ifs_and_ifs_in_loops(editor: Editor, branches: str) -> None:
    assert outline(editor.symbols(branches)) == [
        "add Function 0",
        "n Variable 1",
        "a Function 2",
        "for k in [1, 2] Namespace 3",
        "  if k == 1 Namespace 4",
        "    X Variable 5",
        "    v Function 6",
        "  else Namespace 7",
        "    v Function 8",
        "  w Function 10",
        "if a > n Namespace 12",
        "  p Function 13",
        "  only Function 14",
        "  if n == 1 Namespace 15",
        "    r Function 15",
        "  else Namespace 15",
        "    r Function 15",
        "  q Function 16",
        "elif a == 3 Namespace 17",
        "  p Function 18",
        "  q Function 19",
        "else Namespace 20",
        "  p Function 21",
        "  q Function 22",
        "last Function 24",
    ]


# --- completion where an `if` is typed ---------------------------------------------------------


def test_completion_offers_if_where_statements_start_and_elif_else_after_a_branch(editor: Editor,
                                                                                   workspace: Path) -> None:
    uri = editor.open(workspace / "typing_if.fuse", "from ops import add\nparam n: int = 1\n\n", save=False)
    start = labels(editor.completion(uri, 2, 0))
    assert {"if", "for", "let"} <= set(start) and not {"elif", "else", "and"} & set(start)
    editor.change(uri, "from ops import add\nparam n: int = 1\nif n > 1 {\n    x = add(n, 1)\n} \n", version=2)
    after_branch = labels(editor.completion(uri, 4, 2))
    assert {"elif", "else", "if", "for", "n"} <= set(after_branch)
    inside = labels(editor.completion(uri, 3, 4))
    assert {"if", "for", "n", "add"} <= set(inside) and "elif" not in inside


def test_completion_in_a_test_offers_names_not_and_then_and_or(editor: Editor, workspace: Path) -> None:
    text = "from ops import add\nparam n: int = 1\na = add(n, 1)\nif \n"
    uri = editor.open(workspace / "test_typed.fuse", text.replace("if \n", ""), save=False)
    editor.change(uri, text, version=2)
    assert editor.diagnostics(uri, version=2)  # a syntax error: the names are those of the latest text that parsed
    operand = labels(editor.completion(uri, 3, 3))
    assert {"n", "a", "not", "true", "false"} <= set(operand) and not {"if", "let", "and"} & set(operand)
    for version, typed in enumerate(["if a >= ", "if a == 1 and ", "if not ", "if (n < 2 or "], start=3):
        editor.change(uri, text.replace("if \n", typed + "\n"), version=version)
        assert {"n", "a", "not"} <= set(labels(editor.completion(uri, 3, len(typed)))), typed
    editor.change(uri, text.replace("if \n", "if a > n \n"), version=10)
    assert labels(editor.completion(uri, 3, 9)) == ["and", "or"]


def test_a_partial_if_being_typed_breaks_nothing(editor: Editor, workspace: Path) -> None:
    """Each prefix of an `if` chain, as it is typed: diagnostics, hover, definition, completion,
    symbols and formatting all answer (a syntax error while it is partial, never a crash)."""
    whole = "from ops import add\nparam n: int = 1\nif n >= 1 and not (n == 2) {\n    x = add(n, 1)\n" \
            "} elif n < 0 {\n    x = add(n, 2)\n} else {\n    x = add(n, 3)\n}\ny = add(x, 1)\n"
    uri = editor.open(workspace / "partial.fuse", whole[:40], save=False)
    start = whole.index("if ")
    for version, end in enumerate(range(40, len(whole) + 1, 3), start=1):
        text = whole[:end]
        if version > 1:
            editor.change(uri, text, version=version)
        editor.diagnostics(uri, version=version)
        line = text.count("\n")
        character = len(text.rsplit("\n", 1)[-1])
        editor.completion(uri, line, character)
        editor.hover(uri, line, max(character - 1, 0))
        editor.definition(uri, line, max(character - 1, 0))
        editor.symbols(uri)
        editor.formatting(uri)
    assert end == len(whole) and start < 40 < len(whole)
    assert [d.message for d in editor.diagnostics(uri, version=version)
            if d.severity == types.DiagnosticSeverity.Error] == []
    assert lines_of(editor.definition(uri, 9, 9)) == [(3, 4), (5, 4), (7, 4)]  # `x` in `y = add(x, 1)`
