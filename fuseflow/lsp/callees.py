"""What Python object a word of the file stands for, as "module:qualname".

The compiler resolves callees the same way (compiler/lower.py `resolve_callee`);
this reads the syntax tree alone, so that it answers while the file has
errors elsewhere:

    from examples.ops import add as plus     plus(1, 2)      -> "examples.ops:add"
    import examples.ops as ops               ops.add(1, 2)   -> "examples.ops:add"
    counter = IncrementalSum(0)              counter.add(1)  -> "examples.counter:IncrementalSum.add"
    import examples.data as dm               f(dm.DATA[0])   -> "examples.data:DATA"
    Model = dm.Model                         m = Model()     -> "examples.data:Model"
"""
from __future__ import annotations

from ..compiler import nodes as n
from ..compiler.span import Span
from .index import Definition, Index, Occurrence


def target_of(occurrence: Occurrence, index: Index) -> str | None:
    """The Python object the word names: a callable, a method, or a module (its bare name); None if no such."""
    if occurrence.role == "import":
        module, name = occurrence.words
        return f"{module}:{name}"
    if occurrence.role == "module":
        return occurrence.name
    if occurrence.role == "callee":
        return callee_target(occurrence.words, index, occurrence.span)
    definition = occurrence.definition
    if definition is not None and definition.kind in ("import", "module", "alias"):
        return callee_target((definition.name,), index, occurrence.span)
    return None


def callee_target(words: tuple[str, ...], index: Index, where: Span, depth: int = 0) -> str | None:
    """The target of a dotted callee (or dotted reference) `words` used at `where`."""
    head = index.lookup(words[0], where)
    seen: set[int] = set()
    while head is not None and head.aliased is not None and id(head) not in seen:  # `Model = dm.Model`
        seen.add(id(head))
        ref = head.aliased
        if ref.indexes:  # an alias of an indexed value: known only when the workflow runs
            return None
        words = (ref.name, *ref.attrs, *words[1:])
        head = index.lookup(ref.name, ref.name_span)
    if head is None or depth > 1:
        return None
    stmt, rest = head.statement, list(words[1:])
    if head.kind == "import" and isinstance(stmt, n.FromImport):
        name = next(item.name for item in stmt.names if item.alias == head.name)
        return f"{stmt.module}:{'.'.join([name, *rest])}"
    if head.kind == "module" and isinstance(stmt, n.ImportModule):
        return f"{stmt.module}:{'.'.join(rest)}" if rest else stmt.module
    if head.kind == "node" and isinstance(stmt, n.AssignStmt) and isinstance(stmt.value, n.Call) and rest:
        cls = callee_target(stmt.value.callee, index, stmt.value.callee_span, depth + 1)  # the object's class
        return f"{cls}.{'.'.join(rest)}" if cls and ":" in cls else None
    return None


def node_call(definition: Definition) -> n.Call | None:
    """The call of a node's statement."""
    stmt = definition.statement
    if isinstance(stmt, n.AssignStmt) and isinstance(stmt.value, n.Call):
        return stmt.value
    return None
