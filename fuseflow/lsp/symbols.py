"""Document symbols: the file's outline, loops holding what they make.

    workflow models
    make_dataset, split, ...      imported callables
    n, noise                      params
    datasets, models              constants
    for ds in datasets            a loop
      data, parts                 its nodes
      for name, spec in models    a nested loop
        model, err
    best                          a node
    X                             an alias (`X = best["X"]`)
    options, options ray          options blocks, one child per entry
"""
from __future__ import annotations

from lsprotocol import types

from ..compiler import nodes as n
from ..compiler.lower import generated_names
from .documents import Analysis
from .index import Index
from .positions import Lines

Kind = types.SymbolKind
KINDS = {"param": Kind.Variable, "let": Kind.Constant, "node": Kind.Function, "alias": Kind.Variable,
         "import": Kind.Function, "module": Kind.Module, "loop": Kind.Variable}
DETAILS = {"param": "param", "let": "constant", "node": "node", "alias": "alias", "import": "imported",
           "module": "module"}


def document_symbols(analysis: Analysis, lines: Lines) -> list[types.DocumentSymbol]:
    if analysis.module is None:
        return []
    outline = _Outline(analysis.index, lines, generated_names(analysis.module.statements))
    return outline.statements(analysis.module.statements)


class _Outline:
    def __init__(self, index: Index, lines: Lines, bare_calls: dict[int, str]):
        self.index = index
        self.lines = lines
        self.bare_calls = bare_calls  # id(statement) -> the generated name of a bare call's node

    def statements(self, statements: tuple[n.Stmt, ...]) -> list[types.DocumentSymbol]:
        return [symbol for stmt in statements for symbol in self.statement(stmt)]

    def statement(self, stmt: n.Stmt) -> list[types.DocumentSymbol]:
        if isinstance(stmt, n.ForStmt):
            head = f"for {', '.join(stmt.names)} in {self.index.text(stmt.iterable.span)}"
            return [self.symbol(head, Kind.Namespace, stmt.span, stmt.span, self.statements(stmt.body))]
        if isinstance(stmt, n.IfStmt):  # a namespace per branch, its test its name
            return [self.symbol(("else" if branch.test is None else
                                 f"{'if' if i == 0 else 'elif'} {self.index.text(branch.test.span)}"),
                                Kind.Namespace, branch.span, branch.keyword_span, self.statements(branch.body))
                    for i, branch in enumerate(stmt.branches)]
        if isinstance(stmt, n.OptionsStmt):
            name = "options" if stmt.target == "neutral" else f"options {stmt.target}"
            entries = [self.symbol(entry.pattern or "workflow", Kind.Property, entry.span, entry.pattern_span)
                       for entry in stmt.entries]
            return [self.symbol(name, Kind.Object, stmt.span, stmt.target_span, entries)]
        if isinstance(stmt, n.WorkflowStmt):
            return [self.symbol(f"workflow {stmt.name}", Kind.Module, stmt.span, stmt.span)]
        if isinstance(stmt, n.CallStmt):
            name = self.bare_calls.get(id(stmt), ".".join(stmt.call.callee))
            return [self.symbol(name, Kind.Function, stmt.span, stmt.call.callee_span, detail="node")]
        return [self.symbol(d.name, KINDS[d.kind], stmt.span, d.span, detail=DETAILS.get(d.kind, ""))
                for d in self.index.by_statement.get(id(stmt), [])]

    def symbol(self, name: str, kind: types.SymbolKind, span: n.Span, selection: n.Span,
               children: list[types.DocumentSymbol] | None = None, detail: str = "") -> types.DocumentSymbol:
        return types.DocumentSymbol(name=name, kind=kind, range=self.lines.range(span),
                                    selection_range=self.lines.range(selection), detail=detail or None,
                                    children=children)
