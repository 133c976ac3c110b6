"""IR pieces as Python source, for the targets that generate Python.

Everything from the .fuse file reaches generated code through `literal` (a
repr of plain data, escape.python_literal, with strings quoted as ruff quotes
them) or as an identifier the grammar already restricted to
[A-Za-z_][A-Za-z0-9_]*, so a name or string in a file can never become code.
Expressions are pretty.Piece trees, so that pretty.render lays them out as
ruff format does.
"""
from __future__ import annotations

import keyword
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from .. import ir
from ..ir import Workflow
from . import pretty
from .escape import python_literal
from .pretty import Piece, Seq, Text


def string(value: str) -> str:
    """A string literal as ruff format writes it: double quotes, unless the text holds more
    double quotes than single ones; every unprintable character escaped as repr escapes it.
    A str subclass (CallableRef) is written as its text."""
    text = str(value)
    doubles, singles = text.count('"'), text.count("'")
    quote = "'" if doubles > singles else '"'
    body = "".join(_escaped(c, quote) for c in text)
    return quote + body + quote


def _escaped(char: str, quote: str) -> str:
    if char == "\\":
        return "\\\\"
    if char == quote:
        return "\\" + quote
    return char if char.isprintable() else repr(char)[1:-1]


def literal(value: Any) -> str:
    """A Python literal of JSON-like data, exact, on one line."""
    return python_literal(value, string)


def literal_piece(value: Any) -> Piece:
    """A Python literal of JSON-like data, as a piece the layout may split."""
    if isinstance(value, list) and value:
        return pretty.display("[", [literal_piece(item) for item in value], "]")
    if isinstance(value, dict) and value:
        return pretty.display("{", [pretty.entry(literal(k), literal_piece(v)) for k, v in value.items()], "}")
    return Text(literal(value))


def unique_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted_`, `wanted__`, ... if the user's imports already use it."""
    name = wanted
    while name in taken:
        name += "_"
    return name


class Names:
    """The names a generated module defines beside the user's imports: each allocated once,
    unique (`rt`, or `rt_` when the file imports an `rt`)."""

    def __init__(self, taken: Iterable[str]):
        self.taken = set(taken) | set(keyword.kwlist)
        self.used: dict[str, str] = {}

    def module(self, wanted: str) -> str:
        name = unique_name(wanted, self.taken)
        self.taken.add(name)
        return name

    local = module  # a function's local follows the same rule: it hides nothing the function reads


class Callables:
    """Maps IR callable targets ("module:qualname") to expressions over the file's imports,
    and remembers which imports the generated code uses (`used`: their aliases)."""

    def __init__(self, wf: Workflow):
        self.from_names: dict[str, str] = {}
        self.modules: dict[str, str] = {}
        self.used: set[str] = set()
        for item in wf.imports:
            if item.name is None:
                self.modules.setdefault(item.module, item.alias)
            else:
                self.from_names.setdefault(f"{item.module}:{item.name}", item.alias)

    def expression(self, target: str) -> str:
        """The callable as a Python expression over the imports (KeyError: not imported)."""
        base, parts = self.path(target)
        self.used.add(base)
        return attributes(base, parts)

    def dotted(self, target: str) -> str:
        """The callable as the file spells it (`m.train`), for labels."""
        base, parts = self.path(target)
        return ".".join([base, *parts])

    def path(self, target: str) -> tuple[str, list[str]]:
        """(the imported name it starts from, the attributes after it)."""
        module, _, qualname = target.partition(":")
        head, _, rest = qualname.partition(".")
        alias = self.from_names.get(f"{module}:{head}")
        if alias is not None:
            return alias, rest.split(".") if rest else []
        return self.modules[module], qualname.split(".")


def subscripts(path: ir.Path) -> str:
    """`[0]["X"]`: an index path as Python subscripts (each key a literal)."""
    return "".join(f"[{literal(key)}]" for key in path)


def attributes(base: str, parts: list[str]) -> str:
    """`base.a.b`, with `getattr(x, "for")` for a part Python reads as a keyword:
    the language allows any word after a dot (`gcs.Client`, `store.for`)."""
    for part in parts:
        base = f"getattr({base}, {literal(part)})" if keyword.iskeyword(part) else f"{base}.{part}"
    return base


def keyword_arguments(pairs: list[tuple[str, Piece]]) -> list[Piece]:
    """`name=value` for each keyword argument, in order; a name Python reads as a keyword
    (`f(lambda=1)` in a .fuse file) as `**{"lambda": 1}`."""
    return [pretty.Seq(["**", pretty.display("{", [pretty.entry(literal(name), value)], "}")])
            if keyword.iskeyword(name) else pretty.entry(name + "=", value) for name, value in pairs]


class LoopValues(Protocol):
    """How the values of a loop statement read where they are written (codegen.loops.Scope)."""

    def loop_var(self, value: ir.LoopVar) -> Piece: ...
    def node_name(self, value: ir.LoopRef) -> Piece: ...
    def family(self, value: ir.LoopFamily | ir.Family, rt: str) -> Piece | None: ...


class RuntimeExpression(ir.Visitor):
    """An IR value as the Python expression a generated module hands fuseflow's
    runtime (see fuseflow.runtime.graph): `rt.ref("s1", 0)`, `rt.struct([...])`, ...
    Loop values read through `loops` (the loops open where the value is written)."""

    def __init__(self, rt: str, callables: Callables, loops: LoopValues | None = None):
        self.rt = rt
        self.callables = callables
        self.loops = loops

    def visit_Literal(self, v: ir.Literal) -> Piece:
        return literal_piece(v.value)

    def visit_ParamRef(self, v: ir.ParamRef) -> Piece:
        return pretty.call(f"{self.rt}.param", [Text(literal(p)) for p in (v.name, *v.path)])

    def visit_Ref(self, v: ir.Ref) -> Piece:
        return pretty.call(f"{self.rt}.ref", [Text(literal(p)) for p in (v.node, *v.path)])

    def visit_Imported(self, v: ir.Imported) -> Piece:
        return Text(self.callables.expression(v.target) + subscripts(v.path))

    def visit_ListOf(self, v: ir.ListOf) -> Piece:
        items = pretty.display("[", [self.visit(i) for i in v.items], "]")
        return items if constant(v) else pretty.call(f"{self.rt}.struct", [items])

    def visit_DictOf(self, v: ir.DictOf) -> Piece:
        items = pretty.display("{", [pretty.entry(literal(k), self.visit(i)) for k, i in v.items], "}")
        return items if constant(v) else pretty.call(f"{self.rt}.struct", [items])

    def visit_Family(self, v: ir.Family) -> Piece:
        found = self.loops.family(v, self.rt) if self.loops is not None else None
        if found is not None:
            return found
        return pretty.call(f"{self.rt}.family", [Text(literal(v.name)), self.members(v)])

    def members(self, v: ir.Family) -> Piece:
        """{key: member}: nested loops nest plain dicts inside the one family."""
        return pretty.display("{", [pretty.entry(literal(k), self.members(m) if type(m) is ir.Family else self.visit(m))
                                    for k, m in v.members], "}")

    def visit_LoopVar(self, v: ir.LoopVar) -> Piece:
        return self.loops.loop_var(v)  # type: ignore[union-attr]

    def visit_LoopRef(self, v: ir.LoopRef) -> Piece:
        return pretty.call(f"{self.rt}.ref", [self.loops.node_name(v), *(Text(literal(p)) for p in v.path)])  # type: ignore[union-attr]

    def visit_LoopFamily(self, v: ir.LoopFamily) -> Piece:
        return self.loops.family(v, self.rt)  # type: ignore[union-attr, return-value]

    def visit_RunStatus(self, v: ir.RunStatus) -> Piece:
        """Inside `finally`: how the run went, rt.run_status("state")."""
        return pretty.call(f"{self.rt}.run_status", [Text(literal(p)) for p in v.path])

    def visit_OneOf(self, v: ir.OneOf) -> Piece:
        """After an `if`, a name every branch assigns: rt.one_of("if-1", [rt.ref("x.if"), ...])."""
        members = pretty.display("[", [self.visit(m) for m in v.members], "]")
        decision = self.loops.decision_name(v.decision) if self.loops is not None and ".*" in v.decision \
            else Text(literal(v.decision))  # an `if` of a run-time loop's body: named per item
        return pretty.call(f"{self.rt}.one_of", [decision, members])

    def visit_Compare(self, v: ir.Compare) -> Piece:
        return pretty.call(f"{self.rt}.test", [Text(literal(v.op)), self.visit(v.left), self.visit(v.right)])

    def visit_And(self, v: ir.And) -> Piece:
        return pretty.call(f"{self.rt}.test", [Text(literal("and")), *(self.visit(item) for item in v.items)])

    def visit_Or(self, v: ir.Or) -> Piece:
        return pretty.call(f"{self.rt}.test", [Text(literal("or")), *(self.visit(item) for item in v.items)])

    def visit_Not(self, v: ir.Not) -> Piece:
        return pretty.call(f"{self.rt}.test", [Text(literal("not")), self.visit(v.item)])

    def visit_Gathered(self, v: ir.Gathered) -> Piece:
        """A run-time loop's results outside it: rt.gathered("table", 0), keys=[...] when the loop
        is in a static loop."""
        keys = [pretty.entry("keys=", pretty.display("[", [Text(literal(k)) for k in v.keys], "]"))] if v.keys else []
        return pretty.call(f"{self.rt}.gathered", [Text(literal(p)) for p in (v.statement, *v.path)] + keys)


def constant(value: ir.Value) -> bool:
    """A list or dict of a loop statement that holds only constants and loop variables: a plain
    Python list or dict (a Literal at run time, as lowering makes it in each iteration)."""
    return all(type(v) in (ir.Literal, ir.LoopVar, ir.ListOf, ir.DictOf) for v in ir.walk(value))


def node_call(rt: str, node: ir.Node | ir.Statement, name: Piece, object_name: Piece | None, callables: Callables,
              values: RuntimeExpression, keywords: list[tuple[str, Piece]], after: Sequence[ir.Value] = ()) -> Piece:
    """The node as the runtime's graph declares it: rt.call("name", fn, [args], {kwargs}, options={...})
    (rt.obj, rt.method("name", "object", "method", ...)), with `after=["x", ...]` when the file
    orders it after nodes (`after`: Refs, families, loop values); `keywords` follow, in order
    (keyword "**": spread a dict of them)."""
    parts: list[Piece] = [name]
    if node.kind == "method":
        parts += [object_name, Text(literal(node.target))]  # type: ignore[list-item]
    else:
        parts.append(Text(callables.expression(node.target)))
    parts.append(pretty.display("[", [values.visit(a) for a in node.args], "]"))
    if node.kwargs:
        parts.append(pretty.display("{", [pretty.entry(literal(k), values.visit(v)) for k, v in node.kwargs], "}"))
    if after:
        parts.append(pretty.entry("after=", pretty.display("[", after_names(after, values), "]")))
    parts += [Seq(["**", value]) if key == "**" else pretty.entry(key + "=", value) for key, value in keywords]
    builder = {"call": "call", "object": "obj", "method": "method"}[node.kind]
    return pretty.call(f"{rt}.{builder}", parts)


def after_names(after: Sequence[ir.Value], values: RuntimeExpression) -> list[Piece]:
    """The nodes of the file's `after`, as `after=[...]` lists them: a node by its name (the current
    iteration's as an f-string), a family as the runtime's family (every member)."""
    found: list[Piece] = []
    for value in after:
        if type(value) is ir.Ref and not value.path:
            found.append(Text(literal(value.node)))
        elif type(value) is ir.LoopRef and not value.path:
            found.append(values.loops.node_name(value))  # type: ignore[union-attr]
        else:
            found.append(values.visit(value))
    return found


def option_keywords(given: dict[str, dict | None]) -> list[tuple[str, Piece]]:
    """`options={...}` (and a target's own, `ray={...}`) for the non-empty ones, in order."""
    return [(keyword, literal_piece(found)) for keyword, found in given.items() if found]
