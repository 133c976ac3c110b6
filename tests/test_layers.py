"""The layers of issue 13 item 6, held by the test suite as well as by `make check`.

- No import cycle between fuseflow's modules, counting the imports inside functions:
  they hide a cycle from a reader, not from Python.
- An import inside a function says why it is there (an optional backend, start-up time),
  in a comment on its line or the line above; a group of such imports, one after the
  other, may share the first one's comment.
- The import-linter contracts in pyproject.toml (layers, targets independent) are kept.
"""
from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fuseflow"


def test_no_import_cycles() -> None:
    # an import under `if TYPE_CHECKING:` never runs, so it makes no cycle
    graph = grimp.build_graph("fuseflow", exclude_type_checking_imports=True, cache_dir=None)
    cycles = [sorted(group) for group in strongly_connected(graph) if len(group) > 1]
    assert not cycles, "import cycles:\n" + "\n".join(describe_cycle(graph, group) for group in cycles)


def test_imports_inside_functions_say_why() -> None:
    found = [(str(path.relative_to(ROOT)), line, text)
             for path in sorted(PACKAGE.rglob("*.py")) for line, text in unexplained_imports(path)]
    unexplained = [f"{path}:{line}: {text}" for path, line, text in found]
    assert not unexplained, ("imports inside a function with no comment saying why "
                             "(on the line or the line above):\n" + "\n".join(unexplained))


def test_import_linter_contracts_are_kept() -> None:
    done = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as main; main()",
                           "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_unexplained_import_is_found(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n"
                      "    import json\n"
                      "    # deferred: only when asked\n"
                      "    import csv\n"
                      "    import io\n"
                      "\n"
                      "    import os  # optional: why\n"
                      "    from . import x\n")
    assert unexplained_imports(source) == [(2, "import json")]


def test_a_cycle_is_found() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=importer, imported=imported)
    assert sorted(map(sorted, strongly_connected(graph))) == [["p.a", "p.b", "p.c"], ["p.d"]]


# --- cycles ------------------------------------------------------------------------------


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's strongly connected components of the import graph (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []
    for start in sorted(graph.modules):
        if start not in index:
            _visit(graph, start, index, low, stack, groups)
    return groups


def _visit(graph: grimp.ImportGraph, start: str, index: dict[str, int], low: dict[str, int],
           stack: list[str], groups: list[set[str]]) -> None:
    work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
    index[start] = low[start] = len(index)
    stack.append(start)
    while work:
        module, successors = work[-1]
        successor = next(successors, None)
        if successor is None:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                groups.append(_pop_group(stack, module))
        elif successor not in index:
            index[successor] = low[successor] = len(index)
            stack.append(successor)
            work.append((successor, iter(sorted(graph.find_modules_directly_imported_by(successor)))))
        elif successor in stack:
            low[module] = min(low[module], index[successor])


def _pop_group(stack: list[str], root: str) -> set[str]:
    group = set()
    while True:
        module = stack.pop()
        group.add(module)
        if module == root:
            return group


def describe_cycle(graph: grimp.ImportGraph, group: list[str]) -> str:
    """The modules of one cycle and the import lines that join them."""
    lines = [f"  {' <-> '.join(group)}"]
    for importer in group:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & set(group)):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"    {importer}:{detail['line_number']}: {detail['line_contents']}")
    return "\n".join(lines)


# --- imports inside functions -------------------------------------------------------------


def unexplained_imports(path: Path) -> list[tuple[int, str]]:
    """(line, first line of the statement) of each import inside a function with no reason comment.

    An import is explained by a comment on one of its lines or on the line above, or by
    directly following (no blank line between) an explained import: its group's comment."""
    text = path.read_text()
    comments = comment_lines(text)
    found = []
    for run in import_groups(ast.parse(text)):
        previous: ast.stmt | None = None
        for node in run:
            end = node.end_lineno or node.lineno
            commented = any(line in comments for line in range(node.lineno - 1, end + 1))
            if commented or (previous is not None and node.lineno == (previous.end_lineno or 0) + 1):
                previous = node
            else:
                previous = None
                found.append((node.lineno, text.splitlines()[node.lineno - 1].strip()))
    return found


def import_groups(tree: ast.Module) -> Iterator[list[ast.stmt]]:
    """Runs of consecutive import statements in any function body (nested blocks included)."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _runs(function.body)


def _runs(body: list[ast.stmt]) -> Iterator[list[ast.stmt]]:
    run: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            run.append(statement)
            continue
        if run:
            yield run
            run = []
        if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _runs(getattr(statement, field, []))
    if run:
        yield run


def comment_lines(text: str) -> set[int]:
    """Lines that hold a comment."""
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return {token.start[0] for token in tokens if token.type == tokenize.COMMENT}
