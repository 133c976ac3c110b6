"""IR pieces as Python source text, for the targets that generate Python.

Everything from the .fuse file reaches generated code through `literal` (a
repr of plain data, escape.python_literal) or as an identifier the grammar
already restricted to [A-Za-z_][A-Za-z0-9_]*, so a name or string in a file
can never become code.
"""
from __future__ import annotations

import keyword

from .. import ir
from ..ir import Import, Workflow
from .escape import python_literal as literal  # the generators' pyexpr.literal


def unique_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted_`, `wanted__`, ... if the user's imports already use it."""
    name = wanted
    while name in taken:
        name += "_"
    return name


def import_lines(imports: tuple[Import, ...]) -> list[str]:
    """`from m import a, b as c` grouped by module in first-use order; `import m as x` lines."""
    lines: list[str] = []
    grouped: dict[str, list[str]] = {}
    for item in imports:
        if item.name is None:
            lines.append(f"import {item.module} as {item.alias}")
            continue
        if item.module not in grouped:
            grouped[item.module] = []
            lines.append(item.module)  # placeholder keeps the order
        grouped[item.module].append(item.name if item.name == item.alias else f"{item.name} as {item.alias}")
    return [f"from {line} import {', '.join(grouped[line])}" if line in grouped else line for line in lines]


class Callables:
    """Maps IR callable targets ("module:qualname") to expressions over the file's imports."""

    def __init__(self, wf: Workflow):
        self.from_names: dict[str, str] = {}
        self.modules: dict[str, str] = {}
        for item in wf.imports:
            if item.name is None:
                self.modules.setdefault(item.module, item.alias)
            else:
                self.from_names.setdefault(f"{item.module}:{item.name}", item.alias)

    def expression(self, target: str) -> str:
        """The callable as a Python expression over the imports (KeyError: not imported)."""
        return attributes(*self.path(target))

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


def attributes(base: str, parts: list[str]) -> str:
    """`base.a.b`, with `getattr(x, "for")` for a part Python reads as a keyword:
    the language allows any word after a dot (`gcs.Client`, `store.for`)."""
    for part in parts:
        base = f"getattr({base}, {literal(part)})" if keyword.iskeyword(part) else f"{base}.{part}"
    return base


def keyword_arguments(pairs: list[tuple[str, str]]) -> list[str]:
    """`name=value` for each keyword argument (value already Python text), in order;
    a name Python reads as a keyword (`f(lambda=1)` in a .fuse file) as `**{"lambda": 1}`."""
    return [f"**{{{literal(name)}: {text}}}" if keyword.iskeyword(name) else f"{name}={text}" for name, text in pairs]


class RuntimeExpression(ir.Visitor):
    """An IR value as the Python expression a generated module hands fuseflow's
    runtime (see fuseflow.runtime.graph): `rt.ref("s1", 0)`, `rt.struct([...])`, ..."""

    def __init__(self, rt: str, callables: Callables):
        self.rt = rt
        self.callables = callables

    def visit_Literal(self, v: ir.Literal) -> str:
        return literal(v.value)

    def visit_ParamRef(self, v: ir.ParamRef) -> str:
        return f"{self.rt}.param({', '.join(literal(p) for p in (v.name, *v.path))})"

    def visit_Ref(self, v: ir.Ref) -> str:
        return f"{self.rt}.ref({', '.join(literal(p) for p in (v.node, *v.path))})"

    def visit_Imported(self, v: ir.Imported) -> str:
        return self.callables.expression(v.target)

    def visit_ListOf(self, v: ir.ListOf) -> str:
        return f"{self.rt}.struct([{', '.join(self.visit(i) for i in v.items)}])"

    def visit_DictOf(self, v: ir.DictOf) -> str:
        return f"{self.rt}.struct({{{', '.join(f'{literal(k)}: {self.visit(i)}' for k, i in v.items)}}})"

    def visit_Family(self, v: ir.Family) -> str:
        return f"{self.rt}.family({literal(v.name)}, {self.members(v)})"

    def members(self, v: ir.Family) -> str:
        """{key: member}: nested loops nest plain dicts inside the one family."""
        return "{" + ", ".join(f"{literal(k)}: {self.members(m) if type(m) is ir.Family else self.visit(m)}"
                               for k, m in v.members) + "}"


def value(v: ir.Value, rt: str, callables: Callables) -> str:
    """An IR argument value as a runtime expression."""
    return RuntimeExpression(rt, callables).visit(v)


def node_line(node: ir.Node, rt: str, callables: Callables, options: dict[str, dict] | None = None) -> str:
    """The node as the runtime's graph declares it, one line:
    rt.call("name", fn, [args], {kwargs}, options={...}) (rt.obj, rt.method).
    `options`: keyword -> the options it passes (default: options= the neutral ones);
    empty ones are left out."""
    parts = [literal(node.name)]
    if node.kind == "method":
        parts += [literal(node.object), literal(node.target)]
    else:
        parts.append(callables.expression(node.target))
    parts.append("[" + ", ".join(value(a, rt, callables) for a in node.args) + "]")
    if node.kwargs:
        parts.append("{" + ", ".join(f"{literal(k)}: {value(v, rt, callables)}" for k, v in node.kwargs) + "}")
    given = {"options": node.options.get("neutral")} if options is None else options
    parts += [f"{keyword}={literal(found)}" for keyword, found in given.items() if found]
    builder = {"call": "call", "object": "obj", "method": "method"}[node.kind]
    return f"{rt}.{builder}({', '.join(parts)})"
