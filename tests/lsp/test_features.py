"""Hover, go to definition, completion and document symbols over JSON-RPC, on one workflow."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import Editor

FLOW = """\
workflow flow
from ops import add, Counter
import ops as o
param n: int = 2
let sizes = {"small": 1, "big": 10}
for name, size in sizes {
    for k in [1, 2] {
        total = add(size, k)
    }
}
c = Counter(start=n)
c.bump(1)
s = o.add(n)
options { "total\\..*": { retries: 2 } }
options ray { "total\\.big\\..*": { num_cpus: 2 } }
return s
"""


@pytest.fixture(scope="module")
def flow(editor: Editor, workspace: Path) -> str:
    uri = editor.open(workspace / "flow.fuse", FLOW)
    # no errors; warnings (`total`, `c`, `c_bump_1` not needed by the returned `s`) are fusec's as on the command line
    found = editor.diagnostics(uri, version=1)
    assert [d for d in found if d.severity != types.DiagnosticSeverity.Warning] == []
    assert {d.message.split("'")[1] for d in found} == {"total", "c", "c_bump_1"}
    return uri


def hover_text(editor: Editor, uri: str, line: int, character: int) -> str:
    found = editor.hover(uri, line, character)
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    return found.contents.value


# --- hover ------------------------------------------------------------------------------


def test_hover_on_a_node_in_loops_names_every_node_and_its_callable_and_options(editor: Editor, flow: str) -> None:
    found = editor.hover(flow, 7, 10)  # `total`
    assert found is not None and found.range == types.Range(types.Position(7, 8), types.Position(7, 13))
    text = hover_text(editor, flow, 7, 10)
    assert "**total**.<name, size>.<k>" in text
    assert "4 nodes: `total.small.1`, `total.small.2`, `total.big.1`, `total.big.2`" in text
    assert "def add(a, b=1)" in text and "Add two numbers." in text and "ops.py:5" in text
    # effective options per target, as `fusec nodes --target T` shows them; nodes that differ apart
    assert '- neutral: `{"retries": 2}`' in text
    assert '- local: `{"runtime": {"retries": 2}}`' in text
    assert '- ray (total.small.1, total.small.2): `{"ray": {"max_retries": 2, "retry_exceptions": true}}`' in text
    assert '- ray (total.big.1, total.big.2): `{"ray": {"max_retries": 2, "num_cpus": 2, ' \
           '"retry_exceptions": true}}`' in text


def test_hover_on_a_use_of_a_node_is_the_node(editor: Editor, flow: str) -> None:
    assert "node `s`" in hover_text(editor, flow, 15, 7)  # `return s`
    assert "class Counter(start=0)" in hover_text(editor, flow, 11, 0)  # the object of `c.bump(1)`


def test_hover_on_callables_methods_and_modules(editor: Editor, flow: str) -> None:
    assert "def add(a, b=1)" in hover_text(editor, flow, 7, 17)  # the callee `add`
    assert "def bump(self, by)" in hover_text(editor, flow, 11, 3)  # `c.bump`: Counter's method
    assert "Bump the count." in hover_text(editor, flow, 11, 3)
    assert "def add(a, b=1)" in hover_text(editor, flow, 12, 7)  # `o.add`
    assert "Arithmetic for the tests." in hover_text(editor, flow, 2, 14)  # the alias `o`
    assert "`ops:Counter`" in hover_text(editor, flow, 1, 23)  # the imported name


def test_hover_on_params_constants_loop_variables_and_option_keys(editor: Editor, flow: str) -> None:
    assert "param n: int = 2" in hover_text(editor, flow, 10, 19)  # `start=n`
    assert "for name, size in sizes" in hover_text(editor, flow, 7, 21)  # `size`
    assert 'let sizes = {"small": 1, "big": 10}' in hover_text(editor, flow, 5, 20)
    assert "how many times a failed node is run again" in hover_text(editor, flow, 13, 27)  # `retries`
    assert "**num_cpus**: ray option" in hover_text(editor, flow, 14, 38)


def test_hover_when_the_module_does_not_import_says_so(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "missing.fuse", "from nosuchmodule import f\nx = f(1)\n")
    editor.diagnostics(uri, version=1)
    assert "`nosuchmodule:f` _(not importable from here: no signature to show)_" in hover_text(editor, uri, 1, 5)
    text = hover_text(editor, uri, 1, 0)  # the node `x`
    assert "node `x`" in text and "`nosuchmodule:f` _(not importable" in text
    assert editor.hover(uri, 1, 3) is None  # between words


# --- definition ------------------------------------------------------------------------


def test_definition_of_a_name_is_its_defining_line(editor: Editor, flow: str) -> None:
    def location(line: int, character: int) -> tuple[str, types.Range]:
        (found,) = editor.definition(flow, line, character)
        return found.uri, found.range

    def at(line: int, start: int, end: int) -> types.Range:
        return types.Range(types.Position(line, start), types.Position(line, end))

    assert location(15, 7) == (flow, at(12, 0, 1))  # `return s` -> `s = ...`
    assert location(10, 18) == (flow, at(3, 6, 7))  # `n` -> `param n`
    assert location(7, 20) == (flow, at(5, 10, 14))  # `size` -> `for name, size`
    assert location(5, 20) == (flow, at(4, 4, 9))  # `sizes` -> `let sizes`
    assert location(11, 0) == (flow, at(10, 0, 1))  # `c` of `c.bump` -> `c = Counter(...)`


def test_definition_of_a_callable_is_its_python_source(editor: Editor, flow: str, workspace: Path) -> None:
    ops = (workspace / "ops.py").resolve().as_uri()
    for line, character, python_line in [(7, 17, 4), (1, 17, 4), (12, 7, 4), (10, 6, 13), (11, 3, 19)]:
        (found,) = editor.definition(flow, line, character)
        assert (found.uri, found.range.start.line) == (ops, python_line), (line, character)
    (module,) = editor.definition(flow, 2, 14)  # the alias `o`: the module's file
    assert (module.uri, module.range.start.line) == (ops, 0)


def test_definition_of_a_callable_that_does_not_import_is_its_import(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "missing2.fuse", "from nosuchmodule import f\nx = f(1)\n")
    (found,) = editor.definition(uri, 1, 4)
    assert (found.uri, found.range.start) == (uri, types.Position(0, 25))


# --- completion -------------------------------------------------------------------------


def labels(items: list[types.CompletionItem]) -> list[str]:
    return [item.label for item in items]


def test_completion_in_options_blocks_offers_that_block_s_keys(editor: Editor, workspace: Path) -> None:
    text = FLOW.replace('{ num_cpus: 2 }', '{ num_ }')  # half typed: the file does not parse
    uri = editor.open(workspace / "typing.fuse", text, save=False)
    assert editor.diagnostics(uri, version=1)[0].message.startswith("syntax error")
    ray = editor.completion(uri, 14, 38)
    assert {"num_cpus", "num_gpus", "max_retries", "resources"} <= set(labels(ray))
    assert "retries" not in labels(ray) and "cpus" not in labels(ray)  # neutral ones, not ray's
    num_cpus = next(item for item in ray if item.label == "num_cpus")
    assert num_cpus.kind == types.CompletionItemKind.Property and num_cpus.insert_text == "num_cpus: "
    neutral = labels(editor.completion(uri, 13, 24))
    assert {"retries", "cpus", "memory", "timeout", "cache"} <= set(neutral) and "num_cpus" not in neutral


def test_completion_of_workflow_options_and_entries(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "wf.fuse", 'options ray {\n    workflow: { \n}\n', save=False)
    workflow = labels(editor.completion(uri, 1, 16))
    assert "max_pending" in workflow and "num_cpus" not in workflow
    assert labels(editor.completion(uri, 0, 13)) == ["workflow"]
    assert "ray" in labels(editor.completion(uri, 0, 8))  # after `options `: the targets


def test_completion_of_names_in_scope_and_keywords(editor: Editor, flow: str) -> None:
    in_loop = labels(editor.completion(flow, 7, 20))  # inside `add(size, k)`
    assert {"add", "Counter", "o", "n", "sizes", "name", "size", "k"} <= set(in_loop)
    assert {"true", "false", "none"} <= set(in_loop) and "param" not in in_loop
    after = labels(editor.completion(flow, 15, 7))  # `return s`: after the loops, no loop variables
    assert {"total", "c", "s"} <= set(after) and not {"name", "size", "k"} & set(after)
    start = labels(editor.completion(flow, 16, 0))  # where a statement starts: keywords too
    assert {"param", "let", "for", "options", "return", "from", "import"} <= set(start)


def test_completion_of_a_module_s_names_and_param_types(editor: Editor, workspace: Path) -> None:
    uri = editor.open(workspace / "attr.fuse", "import ops as o\nparam p: int\nx = o.add(1)\n", save=False)
    editor.change(uri, "import ops as o\nparam p: \nx = o.\nfrom ops import \n", version=2)  # half typed
    assert editor.diagnostics(uri, version=2)
    assert {"add", "Counter", "minus"} <= set(labels(editor.completion(uri, 2, 6)))  # o's names as they were
    assert {"add", "Counter", "minus"} <= set(labels(editor.completion(uri, 3, 16)))
    assert labels(editor.completion(uri, 1, 9)) == ["int", "float", "str", "bool", "list", "dict"]


# --- symbols ----------------------------------------------------------------------------


def outline(symbols: list[types.DocumentSymbol], depth: int = 0) -> list[str]:
    lines = []
    for symbol in symbols:
        lines.append("  " * depth + f"{symbol.name} {symbol.kind.name} {symbol.selection_range.start.line}")
        lines.extend(outline(symbol.children or [], depth + 1))
    return lines


def test_document_symbols_are_params_constants_nodes_and_nested_loops(editor: Editor, flow: str) -> None:
    assert outline(editor.symbols(flow)) == [
        "workflow flow Module 0",
        "add Function 1",
        "Counter Function 1",
        "o Module 2",
        "n Variable 3",
        "sizes Constant 4",
        "for name, size in sizes Namespace 5",
        "  for k in [1, 2] Namespace 6",
        "    total Function 7",
        "c Function 10",
        "c_bump_1 Function 11",
        "s Function 12",
        "options Object 13",
        "  total\\..* Property 13",
        "options ray Object 14",
        "  total\\.big\\..* Property 14",
    ]
