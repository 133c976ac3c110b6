"""The syntax tree of a .fuse file: frozen dataclasses, each carrying its Span.

The parser builds these; checks and lowering read them. Nothing here knows
about targets or the IR.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from .span import Span as Span  # re-exported: nodes and their users say n.Span

# --- expressions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    span: Span


@dataclass(frozen=True, slots=True)
class Ref:
    """A name, optionally indexed: `data`, `split["X_train"]`, `res[0][1]`; or an
    attribute of an imported module: `dm.DATA[0]` (name "dm", attrs ("DATA",))."""

    name: str
    indexes: tuple[Expr, ...]
    span: Span
    name_span: Span  # the name with its attributes: `dm.DATA`
    attrs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class DictExpr:
    pairs: tuple[tuple[str, Expr], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Keyword:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    """`f(...)`, `mod.f(...)` or `obj.method(...)`: callee is the dotted path."""

    callee: tuple[str, ...]
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]
    span: Span
    callee_span: Span


Expr: TypeAlias = Literal | Ref | ListExpr | DictExpr | Call


# --- the tests of conditions (`if` / `elif`): the only place operators exist ---------


@dataclass(frozen=True, slots=True)
class Compare:
    """`left OP right`, OP one of == != < <= > >=."""

    op: str
    left: Test
    right: Test
    span: Span
    op_span: Span


@dataclass(frozen=True, slots=True)
class BoolOp:
    """`a and b and c` (op "and") or `a or b` (op "or")."""

    op: str
    items: tuple[Test, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class NotTest:
    item: Test
    span: Span


# A bare operand (a reference, a literal) tests its truth; a call is parsed to say it is not one.
Test: TypeAlias = Compare | BoolOp | NotTest | Literal | Ref | Call


# --- statements --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkflowStmt:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class ImportName:
    name: str
    alias: str
    span: Span


@dataclass(frozen=True, slots=True)
class FromImport:
    module: str
    names: tuple[ImportName, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ImportModule:
    module: str
    alias: str
    span: Span


@dataclass(frozen=True, slots=True)
class UseStmt:
    """`use "prep.fuse" as prep`: another workflow, called later as `r = prep(...)`."""

    path: str
    alias: str
    span: Span
    path_span: Span


@dataclass(frozen=True, slots=True)
class ParamStmt:
    name: str
    type: str
    type_span: Span
    default: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class LetStmt:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class AfterName:
    """A name after `after`: a node this statement's node runs after, although no data flows."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class AssignStmt:
    name: str
    value: Expr
    span: Span
    name_span: Span
    after: tuple[AfterName, ...] = ()  # `x = f(a) after y, z`


@dataclass(frozen=True, slots=True)
class CallStmt:
    call: Call
    span: Span
    after: tuple[AfterName, ...] = ()  # `f(a) after y`


@dataclass(frozen=True, slots=True)
class ForStmt:
    names: tuple[str, ...]
    iterable: Expr
    body: tuple[Stmt, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class IfBranch:
    """One branch of an `if`: its test (None for `else`) and its statements; `keyword_span`
    the `if`, `elif` or `else` word."""

    test: Test | None
    body: tuple[Stmt, ...]
    span: Span
    keyword_span: Span


@dataclass(frozen=True, slots=True)
class IfStmt:
    """`if A { ... } elif B { ... } else { ... }`: its branches in order, the `else` last."""

    branches: tuple[IfBranch, ...]
    span: Span

    @property
    def has_else(self) -> bool:
        return self.branches[-1].test is None


@dataclass(frozen=True, slots=True)
class FinallyStmt:
    """`finally { ... }`: calls that always run after the rest, on success and on failure."""

    body: tuple[Stmt, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class OptionItem:
    key: str
    value: Expr
    span: Span
    key_span: Span


@dataclass(frozen=True, slots=True)
class OptionEntry:
    """`"REGEX": {...}` (pattern set) or `workflow: {...}` (pattern None)."""

    pattern: str | None
    items: tuple[OptionItem, ...]
    span: Span
    pattern_span: Span


@dataclass(frozen=True, slots=True)
class OptionsStmt:
    target: str  # "neutral" for a block without a target name
    entries: tuple[OptionEntry, ...]
    span: Span
    target_span: Span


@dataclass(frozen=True, slots=True)
class StorageStmt:
    url: str
    span: Span


@dataclass(frozen=True, slots=True)
class ReturnName:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class ReturnStmt:
    names: tuple[ReturnName, ...]
    span: Span


Stmt: TypeAlias = (
    WorkflowStmt | FromImport | ImportModule | UseStmt | ParamStmt | LetStmt | AssignStmt
    | CallStmt | ForStmt | IfStmt | FinallyStmt | OptionsStmt | StorageStmt | ReturnStmt
)


@dataclass(frozen=True, slots=True)
class Module:
    path: str
    statements: tuple[Stmt, ...]
