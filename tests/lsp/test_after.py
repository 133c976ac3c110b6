"""`... after x, y`: the names after `after` are uses of nodes (hover, go to definition), and
completion offers `after` after a call and the nodes after it."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import Editor
from .test_features import hover_text, labels

FLOW = """\
workflow ordered
from ops import add
param n: int = 2
done = add(n)
for k in [1, 2] {
    part = add(k) after done
}
rows = add(n) after done, part
return rows
"""


@pytest.fixture(scope="module")
def flow(editor: Editor, workspace: Path) -> str:
    uri = editor.open(workspace / "ordered.fuse", FLOW)
    assert editor.diagnostics(uri, version=1) == []
    return uri


def test_hover_and_definition_of_a_name_after_after_are_the_nodes(editor: Editor, flow: str) -> None:
    assert "node `done`" in hover_text(editor, flow, 7, 21)  # `after done, part`
    assert "2 nodes: `part.1`, `part.2`" in hover_text(editor, flow, 7, 27)
    (found,) = editor.definition(flow, 5, 25)  # `done` in the loop
    assert (found.uri, found.range.start) == (flow, types.Position(3, 0))
    (found,) = editor.definition(flow, 7, 27)
    assert (found.uri, found.range.start) == (flow, types.Position(5, 4))


def test_completion_offers_after_after_a_call_and_nodes_after_it(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "typing_after.fuse", FLOW.replace("return rows\n", "x = add(1)\n"), save=False)
    editor.change(uri, FLOW.replace("return rows\n", "x = add(1) \ny = add(2) after "), version=2)  # half typed
    assert editor.diagnostics(uri, version=2)
    assert "after" in labels(editor.completion(uri, 8, 11))  # `x = add(1) |`
    names = labels(editor.completion(uri, 9, 17))  # `y = add(2) after |`: the nodes in scope, nothing else
    assert {"done", "part", "rows", "x"} <= set(names) and not {"n", "add", "k", "after", "true"} & set(names)
