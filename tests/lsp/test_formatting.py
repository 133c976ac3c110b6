"""Formatting over JSON-RPC: the whole document as `fusec fmt` lays it out (fuseflow.fmt)."""
from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from fuseflow.fmt import format_source

from .conftest import Editor

MESSY = """\
from ops import add   # the callables
param n:int=2
for k in [1,2]{ total=add(n,k) }
options {"total\\\\..*":{retries:2}}
"""


def no_edits(edits: list[types.TextEdit] | None) -> bool:
    """An empty list of edits (which the client reads as an empty tuple), not null."""
    return edits is not None and len(edits) == 0


def test_formatting_replaces_the_document_with_fmt_s_layout(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "messy.fuse", MESSY)
    (edit,) = editor.formatting(uri) or []
    expected = format_source(MESSY, "messy.fuse")
    assert edit.new_text == expected and expected != MESSY
    assert "# the callables" in expected  # comments kept
    assert edit.range == types.Range(types.Position(0, 0), types.Position(4, 0))  # the whole document


def test_a_formatted_document_gets_no_edit(editor: Editor, workspace: Path) -> None:
    tidy = format_source(MESSY, "tidy.fuse")
    uri = editor.open(workspace / "tidy.fuse", tidy)
    assert no_edits(editor.formatting(uri))


def test_a_document_with_syntax_errors_is_left_as_it_is(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "unfinished.fuse", "from ops import add\nx = add(1,\n")
    assert editor.diagnostics(uri, version=1)[0].message.startswith("syntax error")
    assert no_edits(editor.formatting(uri))
    assert editor.messages == []  # nothing to say: the errors are on screen


def test_a_failing_formatter_leaves_the_text_and_says_why(workspace: Path) -> None:
    failing = ("import sys, fuseflow.fmt as fmt\n"
               "def fail(text, path): raise fmt.FormatError(f'the formatted text of {path} does not parse')\n"
               "fmt.format_source = fail\n"
               "from fuseflow.cli import main; sys.exit(main(['lsp']))")
    editor = Editor(workspace, ["-c", failing])
    try:
        uri = editor.open(workspace / "messy.fuse", MESSY)
        assert no_edits(editor.formatting(uri))
        with editor.changed:
            assert editor.changed.wait_for(lambda: editor.messages, 60)
        (message,) = editor.messages
        assert message.type == types.MessageType.Warning
        assert message.message == "fusec fmt failed on messy.fuse: the formatted text of messy.fuse does not parse"
    finally:
        editor.stop()
