"""`use "prep.fuse" as prep`, then `r = prep(n=3)`: another workflow, compiled and inlined.

    loader = Loader("flows/main.fuse")               # the file being compiled, as recorded
    used = loader.load(stmt, diags)                  # the used file's IR (None after an error)
    inlined = inline(used.workflow, "r", bound)      # its nodes as `r.<node>`, params bound

A used file is compiled on its own, as `fusec check prep.fuse` would (its
errors are its own, reported with its path), then each call of it copies its
nodes under the call's name. Values are rewritten so that what the used file
read from a param reads what the call passed: a constant is indexed at compile
time, a reference gets the param's index path after its own. The nodes keep
their used workflow's name and their own names as where their results are kept
(ir.Use), so a result stored by a run of either file is loaded by the other.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import ir
from ..ir.indexing import indexed
from . import nodes as n
from .errors import Diagnostics, UnreadableInput
from .source import display_path

MAX_DEPTH = 32  # used files within used files: a longer chain is surely a mistake


@dataclass(slots=True)
class UsedFile:
    """A `use` statement's file, compiled."""

    alias: str
    workflow: ir.Workflow
    relative: str  # its path from the using file's folder, POSIX, normalized: `lib/prep.fuse`
    line: int


@dataclass(slots=True)
class Loader:
    """Compiles the files a file uses, each once, refusing cycles. `file` is the using file
    (absolute); `chain` the files being compiled, outermost first, this one last (absolute
    paths); `compile(text, file, chain)` the front end (frontend.py hands it over: it is the
    one that imports this module)."""

    file: Path
    compile: Callable[[str, Path, tuple[str, ...]], ir.Workflow]
    chain: tuple[str, ...] = ()
    compiled: dict[str, ir.Workflow] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.file.parent

    def load(self, stmt: n.UseStmt, diags: Diagnostics) -> UsedFile | None:
        relative = PurePosixPath(os.path.normpath(stmt.path.replace("\\", "/"))).as_posix()
        if not stmt.path.endswith(".fuse") or PurePosixPath(stmt.path).is_absolute():
            diags.error(stmt.path_span, f"use needs a relative path to a .fuse file, not {stmt.path!r}",
                        'e.g. use "prep.fuse" as prep, relative to this file\'s folder')
            return None
        file = (self.folder / relative).resolve()
        key = str(file)
        if key in self.chain or len(self.chain) >= MAX_DEPTH:
            cycle = " -> ".join(display_path(path) for path in (*self.chain, key))
            diags.error(stmt.path_span, f"a cycle of `use`: {cycle}",
                        "a workflow cannot use itself, even through others")
            return None
        if key not in self.compiled:
            try:
                text = file.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                diags.error(stmt.path_span, f"cannot read {relative}: {reason}",
                            "the path is relative to this file's folder")
                return None
            try:
                workflow = self.compile(text, file, (*self.chain, key))
            except UnreadableInput as exc:  # a CompileError is the used file's own: it goes up with its path
                diags.error(stmt.path_span, str(exc))
                return None
            self.compiled[key] = workflow
        return UsedFile(stmt.alias, self.compiled[key], relative, stmt.span.line)


# --- inlining ----------------------------------------------------------------------------


def prefixed_uses(used: UsedFile, prefix: str) -> list[ir.Use]:
    """The ir.Use records a call adds: the used file's own, then those it brings."""
    folder = PurePosixPath(used.relative).parent
    inner = [ir.Use(f"{prefix}.{use.prefix}", use.workflow, _joined(folder, use.source)) for use in used.workflow.uses]
    return [ir.Use(prefix, used.workflow.name, used.relative), *inner]


def _joined(folder: PurePosixPath, path: str) -> str:
    return PurePosixPath(os.path.normpath((folder / path).as_posix())).as_posix()


class Rewrite(ir.Transformer):
    """A used workflow's values in the using file: nodes prefixed, params bound to the call's values."""

    def __init__(self, prefix: str, bound: dict[str, ir.Value]):
        self.prefix = prefix
        self.bound = bound

    def visit_Ref(self, value: ir.Ref) -> ir.Value:
        return ir.Ref(f"{self.prefix}.{value.node}", value.path)

    def visit_Family(self, value: ir.Family) -> ir.Value:
        members = tuple((key, self.visit(member)) for key, member in value.members)
        return ir.Family(f"{self.prefix}.{value.name}", members)

    def visit_OneOf(self, value: ir.OneOf) -> ir.Value:
        return ir.OneOf(f"{self.prefix}.{value.decision}", tuple(self.visit(member) for member in value.members))

    def branches(self, when: tuple[ir.Branch, ...]) -> tuple[ir.Branch, ...]:
        """A node's (or a decision's) branches, their decisions prefixed."""
        return tuple(ir.Branch(f"{self.prefix}.{branch.decision}", branch.index) for branch in when)

    def decision(self, decision: ir.Decision) -> ir.Decision:
        """One of the used workflow's decisions, as the call makes it (IndexProblem: a param indexed)."""
        return ir.Decision(f"{self.prefix}.{decision.name}", tuple(self.visit(test) for test in decision.tests),
                           decision.keys, decision.span, self.branches(decision.when), decision.has_else)

    def visit_ParamRef(self, value: ir.ParamRef) -> ir.Value:
        return indexed(self.bound[value.name], value.path)  # IndexProblem: reported at the call
