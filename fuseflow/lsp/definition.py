"""Go to definition: a name to the line that binds it; a callable to its Python source.

- a name used (`data`, `n`, `ds`, a returned name, an alias `X`, a callee
  that is an alias `Model(...)`) -> where the file binds it; a name every
  branch of an `if` assigns, used after it -> where each branch binds it;
- a callee (`train(...)`, `ops.add(...)`, `counter.add(...)`), a dotted
  reference (`ops.add` passed as a value, `dm.DATA[0]`), an imported name, a
  module -> the Python file and line (inspect; a value: the line that assigns
  it), when it imports; one that does not import -> its import statement;
- the object of a method call (`counter` in `counter.add`) -> its node.
"""
from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from .callees import target_of
from .documents import Analysis
from .index import Definition, Index, Occurrence
from .positions import Lines
from .python import find


def definition(analysis: Analysis, lines: Lines, uri: str, position: types.Position) -> list[types.Location]:
    occurrence = analysis.index.at(*lines.at(position))
    if occurrence is None or occurrence.role == "option":
        return []
    in_file = occurrence.definition
    if occurrence.role == "reference" and in_file is not None:  # after an `if`, a name every branch assigns: each
        return [types.Location(uri=uri, range=lines.range(d.span)) for d in _meant(analysis.index, occurrence)]
    if occurrence.role == "reference" or (in_file is not None and in_file.kind not in ("import", "module")):
        return [types.Location(uri=uri, range=lines.range(in_file.span))] if in_file else []
    python = _python(analysis, occurrence)
    if python is not None:
        return [python]
    if occurrence.role == "callee":  # not importable: the import that names it
        in_file = analysis.index.lookup(occurrence.words[0], occurrence.span)
    return [types.Location(uri=uri, range=lines.range(in_file.span))] if in_file else []


def _meant(index: Index, occurrence: Occurrence) -> list[Definition]:
    """The definitions a used name means: one, or, for a name every branch of an `if` assigns
    used after it, the one of each branch (that of the branch it is used in, inside one)."""
    assert occurrence.definition is not None
    found = index.definitions_of(occurrence.definition)
    span = occurrence.span
    inside = [d for d in found if index.inside_branch(d, span.line, span.col)]
    return inside[:1] or found


def _python(analysis: Analysis, occurrence: Occurrence) -> types.Location | None:
    target = target_of(occurrence, analysis.index)
    found = find(target, analysis.folder) if target else None
    if found is None or found.file is None:
        return None
    line = max((found.line or 1) - 1, 0)
    start = types.Position(line=line, character=0)
    return types.Location(uri=Path(found.file).resolve().as_uri(), range=types.Range(start=start, end=start))
