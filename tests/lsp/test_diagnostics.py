"""Diagnostics over JSON-RPC: every error and warning of `fusec check`, at its exact range,
published on open, on each change and on save."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from lsprotocol import types

from .conftest import Editor

BROKEN = """\
from ops import add
x = ad(1)
y = add(x, zz)
options ray { ".*": { num_cpuz: 1 } }
options { "nothing.*": { retries: 2 } }
"""


def shown(diagnostic: types.Diagnostic) -> tuple[int, int, int, int, str, str]:
    r = diagnostic.range
    severity = {types.DiagnosticSeverity.Error: "error", types.DiagnosticSeverity.Warning: "warning"}
    return (r.start.line, r.start.character, r.end.line, r.end.character,
            severity[diagnostic.severity or types.DiagnosticSeverity.Error], diagnostic.message)


def fusec_check(folder: Path, name: str) -> list[tuple[int, int, str, str]]:
    """(line, column, severity, message) of each problem `fusec check` prints, 0-based as LSP counts."""
    done = subprocess.run([sys.executable, "-m", "fuseflow.cli", "check", name], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    heads = re.findall(rf"^{re.escape(name)}:(\d+):(\d+): (error|warning): (.*)$", done.stderr, re.M)
    return [(int(line) - 1, int(col) - 1, severity, message) for line, col, severity, message in heads]


def test_errors_and_warnings_on_open_are_fusec_checks_with_exact_ranges(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "broken.fuse", BROKEN)
    found = [shown(d) for d in editor.diagnostics(uri, version=1)]
    assert found == [
        (1, 4, 1, 6, "error", "undefined name 'ad'\ndid you mean 'add' (an import on line 1)?"),
        (2, 11, 2, 13, "error", "undefined name 'zz'"),
        (3, 22, 3, 30, "error", "unknown ray option 'num_cpuz'\ndid you mean 'num_cpus'?"),
        (4, 10, 4, 21, "warning", 'query "nothing.*" matches no node'),
    ]
    assert [(line, col, sev, msg.split("\n")[0]) for line, col, _, _, sev, msg in found] \
        == fusec_check(workspace, "broken.fuse")
    assert all(d.source == "fusec" for d in editor.diagnostics(uri, version=1))


def test_a_change_publishes_the_new_text_s_diagnostics(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "changing.fuse", "from ops import add\nx = add(1, 2)\n")
    assert editor.diagnostics(uri, version=1) == []
    editor.change(uri, "from ops import add\nx = add(1,\n", version=2)
    assert [shown(d) for d in editor.diagnostics(uri, version=2)] == [
        (1, 7, 1, 8, "error", "syntax error: '(' is never closed\nexpected ')' before the end of the file"),
    ]
    editor.change(uri, "from ops import add\nx = add(1, y)\n", version=3)
    assert [shown(d)[:4] for d in editor.diagnostics(uri, version=3)] == [(1, 11, 1, 12)]
    editor.change(uri, "from ops import add\nx = add(1, 2)\n", version=4)
    assert editor.diagnostics(uri, version=4) == []


def test_save_and_close(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "saved.fuse", "x = nothing(1)\n")
    assert len(editor.diagnostics(uri, version=1)) == 1
    editor.save(uri)
    assert [shown(d)[:4] for d in editor.diagnostics(uri, version=None)] == [(0, 4, 0, 11)]
    editor.close(uri)
    assert editor.diagnostics(uri, version=None, count=2) == []  # closed: its diagnostics cleared


def test_columns_are_counted_in_utf16_as_editors_do(editor: Editor, workspace: Path) -> None:
    # fusec's column 17 (after 16 code points, one of them an emoji that is 2 UTF-16 units)
    text = 'from ops import add\nx = add("😀", zz)\n'
    uri = editor.open(workspace / "emoji.fuse", text)
    assert [shown(d)[:4] for d in editor.diagnostics(uri, version=1)] == [(1, 14, 1, 16)]
    assert fusec_check(workspace, "emoji.fuse")[0][:2] == (1, 13)  # fusec: code points


def test_a_file_never_saved_is_checked_too(editor: Editor, workspace: Path) -> None:
    uri = "untitled:Untitled-1"
    item = types.TextDocumentItem(uri=uri, language_id="fuse", version=1, text="param n: integer\n")
    editor.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    assert [shown(d)[:5] for d in editor.diagnostics(uri, version=1)] == [(0, 9, 0, 16, "error")]
