"""`if` / `elif` / `else` in the language server: the file checks clean, the outline has a
namespace per branch with its nodes, names in tests and branches go to their definitions."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import Editor
from .test_features import outline

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
