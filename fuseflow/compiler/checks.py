"""Checks on the shape of a file that need no name resolution, and on `return`.

Name, type, loop and option checks happen where the facts are known: in
lower.py (names depend on the loop iteration) and options.py (schemas).
"""
from __future__ import annotations

from . import nodes as n
from .errors import Diagnostics, suggest

TOP_LEVEL_ONLY = (n.WorkflowStmt, n.FromImport, n.ImportModule, n.UseStmt, n.ParamStmt, n.LetStmt,
                  n.OptionsStmt, n.StorageStmt, n.ReturnStmt, n.FinallyStmt)
STATEMENT_WORDS = {
    n.WorkflowStmt: "`workflow`", n.FromImport: "an import", n.ImportModule: "an import", n.UseStmt: "a `use`",
    n.ParamStmt: "a `param`", n.LetStmt: "a `let`", n.OptionsStmt: "an `options` block",
    n.StorageStmt: "`storage`", n.ReturnStmt: "`return`", n.FinallyStmt: "`finally`", n.IfStmt: "an `if`",
}
STORAGE_SCHEMES = ("file:", "s3://")


def check_structure(module: n.Module, diags: Diagnostics) -> None:
    """Statements that must appear once, at the top level, and storage URLs."""
    _once(module.statements, n.WorkflowStmt, diags)
    _once(module.statements, n.StorageStmt, diags)
    _once(module.statements, n.ReturnStmt, diags)
    _once(module.statements, n.FinallyStmt, diags)
    for stmt in module.statements:
        if isinstance(stmt, (n.ForStmt, n.IfStmt)):
            _no_top_level_in_block(stmt, diags)
        if isinstance(stmt, n.FinallyStmt):
            _calls_only(stmt.body, diags)
        if isinstance(stmt, n.StorageStmt):
            check_storage_url(stmt, diags)


def _once(statements: tuple[n.Stmt, ...], kind: type, diags: Diagnostics) -> None:
    found = [s for s in statements if isinstance(s, kind)]
    for extra in found[1:]:
        diags.error(extra.span, f"{STATEMENT_WORDS[kind]} appears more than once",
                    f"the first one is on line {found[0].span.line}")


def _no_top_level_in_block(block: n.ForStmt | n.IfStmt, diags: Diagnostics) -> None:
    """Declarations and the like stand at the top level: not inside a `for` loop or an `if`."""
    where = "a `for` loop" if isinstance(block, n.ForStmt) else "an `if`"
    bodies = [block.body] if isinstance(block, n.ForStmt) else [branch.body for branch in block.branches]
    for body in bodies:
        for stmt in body:
            if isinstance(stmt, TOP_LEVEL_ONLY):
                diags.error(stmt.span, f"{STATEMENT_WORDS[type(stmt)]} cannot appear inside {where}",
                            "move it to the top level of the file")
            elif isinstance(stmt, (n.ForStmt, n.IfStmt)):
                _no_top_level_in_block(stmt, diags)


def _calls_only(body: tuple[n.Stmt, ...], diags: Diagnostics) -> None:
    """`finally` holds calls (named or bare), which run once each: no loops, no declarations."""
    for stmt in body:
        if not isinstance(stmt, (n.AssignStmt, n.CallStmt)):
            what = STATEMENT_WORDS.get(type(stmt), "a `for` loop")
            diags.error(stmt.span, f"{what} cannot appear inside `finally`", "`finally` holds calls: `notify(...)`")


def check_storage_url(stmt: n.StorageStmt, diags: Diagnostics) -> None:
    url = stmt.url
    if not url.strip():
        diags.error(stmt.span, "storage needs a location", 'e.g. storage "file:results" or storage "s3://bucket/prefix"')
    elif "://" in url and not url.startswith("s3://"):
        scheme = url.split("://", 1)[0]
        diags.error(stmt.span, f"unsupported storage scheme '{scheme}://'",
                    'use "file:PATH", a plain path, or "s3://bucket/prefix"')


def check_return(stmt: n.ReturnStmt | None, node_statements: dict[str, int], visible: list[str],
                 diags: Diagnostics) -> None:
    if stmt is None:
        return
    seen: set[str] = set()
    for item in stmt.names:
        if item.name in seen:
            diags.error(item.span, f"'{item.name}' is returned twice")
        seen.add(item.name)
        if item.name not in node_statements:
            guess = suggest(item.name, node_statements)
            what = "a node" if item.name not in visible else "not a node"
            hint = f"did you mean '{guess}'?" if guess else "return the names of nodes"
            diags.error(item.span, f"return of unknown name '{item.name}'" if what == "a node"
                        else f"return of '{item.name}', which is not a node", hint)
