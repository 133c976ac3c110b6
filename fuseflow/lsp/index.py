"""Every name of a file: where each is defined, and each word the cursor can be on.

    index = Index(module, text)
    index.at(12, 9)          # Occurrence: the word at line 12, column 9, and what it means
    index.visible(12, 9)     # the definitions in scope there, for completion

The syntax tree keeps spans of statements and of most names; the few names
it does not (a param's, a loop variable's, an import's alias, the words after
a dot) are found in the text after the statement's start, skipping comments
and strings.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..compiler import nodes as n
from ..compiler.errors import source_lines
from ..compiler.imports import module_span
from ..compiler.span import Span


@dataclass(frozen=True)
class Definition:
    """A name the file binds, where it is bound."""

    name: str
    # "param", "let", "node", "alias" (`X = split["X"]`), "import" (a callable), "module" (import M as A),
    # "loop" (a loop variable)
    kind: str
    span: Span  # the name where it is bound
    statement: n.Stmt
    scope: Span | None = None  # a loop variable's loop, an alias's innermost loop, a name's `if` branch
    # (but a name every branch assigns): outside it, it means nothing

    @property
    def aliased(self) -> n.Ref | None:
        """What an alias stands for, as written (`split["X_train"]`); None for any other name."""
        stmt = self.statement
        return stmt.value if self.kind == "alias" and isinstance(stmt, n.AssignStmt) and isinstance(
            stmt.value, n.Ref) else None


@dataclass(frozen=True)
class Occurrence:
    """A word the cursor can be on, and what it is."""

    name: str
    span: Span
    # "definition" (where a name is bound), "reference" (a name used), "callee" (a word of a call's
    # dotted callee, `ops.add(...)`, or of a dotted reference, `dm.DATA[0]`), "import" (the NAME of
    # `from M import NAME`), "module" (a module's dotted name), "option" (a key of an options block)
    role: str
    definition: Definition | None = None  # what the name means in the file, when it is one of its names
    words: tuple[str, ...] = ()  # callee: its words up to this one; import: (module, name); option: (target, scope)
    call: n.Call | None = None  # callee: the call (None for a dotted reference)

    def contains(self, line: int, col: int) -> bool:
        """Whether the cursor is on the word (just after its last character counts)."""
        span = self.span
        return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


_SKIPPED = r"#[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'"  # comments and strings


class Index:
    def __init__(self, module: n.Module | None, text: str):
        self.lines = source_lines(text)
        self._text = text
        self._starts = _line_starts(text)
        self.definitions: list[Definition] = []
        self.occurrences: list[Occurrence] = []
        self.by_statement: dict[int, list[Definition]] = {}  # id(statement) -> the names it binds
        self.loops: dict[int, tuple[n.ForStmt, ...]] = {}  # id(statement) -> its loops, outermost first
        # A name every branch of an `if` assigns (`else` included), usable after it: id(each of its
        # definitions) -> all of them, in branch order, and id(each) -> the branch that makes it.
        self.one_of: dict[int, list[Definition]] = {}
        self.branch_of: dict[int, Span] = {}
        self._branch: Span | None = None  # the innermost `if` branch being indexed
        if module is not None:
            for stmt in module.statements:
                self._statement(stmt, ())
            self._resolve()

    # --- queries ---------------------------------------------------------------------

    def at(self, line: int, col: int) -> Occurrence | None:
        """The word at a position (the innermost, when words touch)."""
        found = [o for o in self.occurrences if o.contains(line, col)]
        return min(found, key=lambda o: (o.span.end_line - o.span.line, o.span.end_col - o.span.col), default=None)

    def visible(self, line: int, col: int) -> list[Definition]:
        """The definitions in scope at a position: bound before it, loop variables inside their loop."""
        return [d for d in self.definitions
                if (d.span.line, d.span.col) < (line, col) and (d.scope is None or _inside(d.scope, line, col))]

    def lookup(self, name: str, span: Span) -> Definition | None:
        """What `name` means where `span` is: a loop variable of an enclosing loop or a name of an
        enclosing `if` branch, else the file's name (of a name every branch of an `if` assigns:
        the branch's around `span`, else the first branch's)."""
        found = [d for d in self.definitions
                 if d.name == name and (d.scope is None or _inside(d.scope, span.line, span.col))]
        if not found:
            return None
        deepest = max(_depth(d.scope) for d in found)
        found = [d for d in found if _depth(d.scope) == deepest]
        here = [d for d in found if self.inside_branch(d, span.line, span.col)]
        return (here or found)[0]

    def definitions_of(self, definition: Definition) -> list[Definition]:
        """A definition and, for a name every branch of an `if` assigns, those of the other branches."""
        return self.one_of.get(id(definition), [definition])

    def inside_branch(self, definition: Definition, line: int, col: int) -> bool:
        """Whether a position is in the `if` branch that makes a name every branch assigns."""
        branch = self.branch_of.get(id(definition))
        return branch is not None and _inside(branch, line, col)

    def first(self, name: str) -> Definition | None:
        return next((d for d in self.definitions if d.name == name), None)

    def unaliased(self, definition: Definition) -> tuple[str, Definition | None] | None:
        """What an alias stands for, the aliases in it followed, and the definition of its
        first name: `Y = X[0]` after `X = split["X"]` is `split["X"][0]`, and `split`'s.
        None for a name that is not an alias, and for aliases that go round in a circle."""
        ref = definition.aliased
        if ref is None:
            return None
        words, indexes = [ref.name, *ref.attrs], list(ref.indexes)
        seen = {id(definition)}
        head = self.lookup(ref.name, ref.name_span)
        while head is not None and head.aliased is not None:
            if id(head) in seen:
                return None
            seen.add(id(head))
            inner = head.aliased
            words[:1], indexes[:0] = [inner.name, *inner.attrs], inner.indexes
            head = self.lookup(inner.name, inner.name_span)
        return ".".join(words) + "".join(f"[{self.text(index.span)}]" for index in indexes), head

    # --- statements ------------------------------------------------------------------

    def _statement(self, stmt: n.Stmt, loops: tuple[n.ForStmt, ...]) -> None:
        self.loops[id(stmt)] = loops
        if isinstance(stmt, n.FromImport):
            self._from_import(stmt)
        elif isinstance(stmt, n.ImportModule):
            span = module_span(self.lines, stmt)
            self._add(Occurrence(stmt.module, span, "module", words=(stmt.module,)))
            self._define(stmt.alias, "module", stmt, self._word(stmt.alias, span.end_line, span.end_col))
        elif isinstance(stmt, n.ParamStmt):
            self._define(stmt.name, "param", stmt, self._word(stmt.name, stmt.span.line, stmt.span.col + 5))
            self._expressions([stmt.default] if stmt.default else [])
        elif isinstance(stmt, n.LetStmt):
            self._define(stmt.name, "let", stmt, self._word(stmt.name, stmt.span.line, stmt.span.col + 3))
            self._expressions([stmt.value])
        elif isinstance(stmt, n.AssignStmt):
            self._expressions([stmt.value])
            if isinstance(stmt.value, n.Ref):  # an alias: used only inside the loop it is made in
                self._define(stmt.name, "alias", stmt, stmt.name_span, scope=loops[-1].span if loops else None)
            else:
                self._define(stmt.name, "node", stmt, stmt.name_span)
            self._after(stmt.after)
        elif isinstance(stmt, n.CallStmt):
            self._expressions([stmt.call])
            self._after(stmt.after)
        elif isinstance(stmt, n.ForStmt):
            self._loop(stmt, loops)
        elif isinstance(stmt, n.IfStmt):
            self._if(stmt, loops)
        elif isinstance(stmt, n.OptionsStmt):
            self._options(stmt)
        elif isinstance(stmt, n.ReturnStmt):
            for item in stmt.names:
                self._add(Occurrence(item.name, item.span, "reference"))

    def _after(self, names: tuple[n.AfterName, ...]) -> None:
        """`... after x, y`: uses of nodes, as references are."""
        for item in names:
            self._add(Occurrence(item.name, item.span, "reference"))

    def _from_import(self, stmt: n.FromImport) -> None:
        span = module_span(self.lines, stmt)
        self._add(Occurrence(stmt.module, span, "module", words=(stmt.module,)))
        for item in stmt.names:
            name = Span(item.span.line, item.span.col, item.span.line, item.span.col + len(item.name))
            self._add(Occurrence(item.name, name, "import", words=(stmt.module, item.name)))
            alias = name if item.alias == item.name else self._word(item.alias, name.end_line, name.end_col)
            self._define(item.alias, "import", stmt, alias)

    def _loop(self, stmt: n.ForStmt, loops: tuple[n.ForStmt, ...]) -> None:
        self._expressions([stmt.iterable])
        line, col = stmt.span.line, stmt.span.col + 3
        for name in stmt.names:
            span = self._word(name, line, col)
            self._define(name, "loop", stmt, span, scope=stmt.span)
            line, col = span.end_line, span.end_col
        for inner in stmt.body:
            self._statement(inner, (*loops, stmt))

    def _if(self, stmt: n.IfStmt, loops: tuple[n.ForStmt, ...]) -> None:
        """What the tests read, then each branch's statements. What a branch binds means something
        in that branch only, but a name every branch assigns directly to a node (an `else`
        included), which is usable after the `if` as the taken branch's (as the compiler has it)."""
        outer, made = self._branch, []
        for branch in stmt.branches:
            self._expressions(list(_operands(branch.test)) if branch.test is not None else [])
            self._branch = branch.span
            for inner in branch.body:
                self._statement(inner, loops)
            made.append({d.name: d for inner in branch.body if isinstance(inner, n.AssignStmt)
                         for d in self.by_statement.get(id(inner), []) if d.kind == "node"})
        self._branch = outer
        shared = set.intersection(*(set(found) for found in made)) if stmt.has_else else set()
        for name in sorted(shared):
            joined = [self._widen(found[name], branch.span, outer) for branch, found in zip(stmt.branches, made,
                                                                                           strict=True)]
            for d in joined:
                self.one_of[id(d)] = joined

    def _widen(self, definition: Definition, branch: Span, outer: Span | None) -> Definition:
        """A name every branch assigns: bound where its `if` is (in the branch around it, or the file)."""
        wide = Definition(definition.name, definition.kind, definition.span, definition.statement, outer)
        _swap(self.definitions, definition, wide)
        _swap(self.by_statement[id(definition.statement)], definition, wide)
        self.occurrences = [Occurrence(o.name, o.span, o.role, wide) if o.definition is definition else o
                            for o in self.occurrences]
        self.branch_of[id(wide)] = branch
        return wide

    def _options(self, stmt: n.OptionsStmt) -> None:
        for entry in stmt.entries:
            scope = "node" if entry.pattern is not None else "workflow"
            for item in entry.items:
                self._add(Occurrence(item.key, item.key_span, "option", words=(stmt.target, scope)))
                self._expressions([item.value])

    def _define(self, name: str, kind: str, stmt: n.Stmt, span: Span, scope: Span | None = None) -> None:
        scope = _inner(scope, self._branch)
        definition = Definition(name, kind, span, stmt, scope)
        self.definitions.append(definition)
        self.by_statement.setdefault(id(stmt), []).append(definition)
        self._add(Occurrence(name, span, "definition", definition))

    def _add(self, occurrence: Occurrence) -> None:
        self.occurrences.append(occurrence)

    # --- expressions -----------------------------------------------------------------

    def _expressions(self, exprs: list[n.Expr]) -> None:
        for expr in _walk(exprs):
            if isinstance(expr, n.Ref) and expr.attrs:  # `dm.DATA[0]`: its words, as a callee's
                self._dotted((expr.name, *expr.attrs), expr.name_span, None)
            elif isinstance(expr, n.Ref):
                self._add(Occurrence(expr.name, expr.name_span, "reference"))
            elif isinstance(expr, n.Call):
                self._dotted(expr.callee, expr.callee_span, expr)

    def _dotted(self, words: tuple[str, ...], where: Span, call: n.Call | None) -> None:
        """The words of `ops.add(...)`'s callee or of the reference `dm.DATA`, each with the words up to it."""
        line, col = where.line, where.col
        for i, word in enumerate(words):
            span = self._word(word, line, col)
            self._add(Occurrence(word, span, "callee", words=words[:i + 1], call=call))
            line, col = span.end_line, span.end_col

    def _resolve(self) -> None:
        """Each used name's definition, once every definition is known."""
        self.occurrences = [
            Occurrence(o.name, o.span, o.role, self.lookup(o.name, o.span), o.words, o.call)
            if o.role == "reference" or (o.role == "callee" and len(o.words) == 1) else o
            for o in self.occurrences
        ]

    # --- the text --------------------------------------------------------------------

    def text(self, span: Span) -> str:
        """The source text of a span."""
        return self._text[self._offset(span.line, span.col):self._offset(span.end_line, span.end_col)]

    def _word(self, word: str, line: int, col: int) -> Span:
        """Where `word` first stands as a whole word from (line, col) on, outside comments and strings."""
        start = self._offset(line, col)
        pattern = re.compile(rf"{_SKIPPED}|(?<![A-Za-z0-9_])({re.escape(word)})(?![A-Za-z0-9_])")
        for found in pattern.finditer(self._text, start):
            if found.group(1) is not None:
                return self._span(found.start(1), found.end(1))
        return Span(line, col, line, col + len(word))  # not found (cannot happen for a parsed file)

    def _offset(self, line: int, col: int) -> int:
        return self._starts[min(max(line, 1), len(self._starts)) - 1] + col - 1

    def _span(self, start: int, end: int) -> Span:
        line = _line_of(self._starts, start)
        end_line = _line_of(self._starts, end)
        return Span(line, start - self._starts[line - 1] + 1, end_line, end - self._starts[end_line - 1] + 1)


def _walk(exprs: list[n.Expr]) -> Iterator[n.Expr]:
    """Expressions and all the expressions inside them, in source order."""
    for expr in exprs:
        yield expr
        if isinstance(expr, n.Ref):
            yield from _walk(list(expr.indexes))
        elif isinstance(expr, n.ListExpr):
            yield from _walk(list(expr.items))
        elif isinstance(expr, n.DictExpr):
            yield from _walk([value for _, value in expr.pairs])
        elif isinstance(expr, n.Call):
            yield from _walk([*expr.args, *(kw.value for kw in expr.kwargs)])


def _operands(test: n.Test) -> Iterator[n.Expr]:
    """The references, literals and calls a test of an `if` holds."""
    if isinstance(test, n.BoolOp):
        for item in test.items:
            yield from _operands(item)
    elif isinstance(test, n.NotTest):
        yield from _operands(test.item)
    elif isinstance(test, n.Compare):
        yield from _operands(test.left)
        yield from _operands(test.right)
    else:
        yield test


def _depth(scope: Span | None) -> tuple[int, int]:
    """How deep a scope is: nested scopes start later (the file, None, first)."""
    return (0, 0) if scope is None else (scope.line, scope.col)


def _inner(one: Span | None, other: Span | None) -> Span | None:
    """The inner of two nested scopes (a loop's, a branch's), either when the other is None."""
    if one is None or other is None:
        return one or other
    return one if (one.line, one.col) >= (other.line, other.col) else other


def _swap(items: list[Definition], old: Definition, new: Definition) -> None:
    """Replace `old` (this very object) in a list."""
    items[next(i for i, item in enumerate(items) if item is old)] = new


def _inside(span: Span, line: int, col: int) -> bool:
    """Whether a position is in a loop, before its closing brace."""
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col)


def _line_starts(text: str) -> list[int]:
    return [0, *(found.end() for found in re.finditer("\n", text))]


def _line_of(starts: list[int], offset: int) -> int:
    """The 1-based line holding `offset`."""
    return bisect.bisect_right(starts, offset)
