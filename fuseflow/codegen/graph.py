"""The workflow's graph as the generated Python modules declare it (local, Ray, Prefect):

    datasets = ["moons", "circles"]                    # what the loops iterate (`let`)


    def nodes():
        \"\"\"...\"\"\"
        for ds in datasets:
            yield rt.call(f"data.{ds}", make_dataset, [ds])
        yield rt.call("best", pick_best, [rt.family("data", {ds: rt.ref(f"data.{ds}") for ds in datasets})])


    WORKFLOW = rt.Workflow(name=..., nodes=list(nodes()), outputs={...})

Each node statement is written once, inside the loops of the file
(codegen.loops); `list(nodes())` is the same list of nodes, in the same
order, that runtime.bind makes of the IR. A target says what keywords a node
line carries (`options={...}`, Ray's `ray={...}`); when the members of one loop
statement carry different ones (an `options` entry selects some of them by
name), they come from a table keyed by node name, spread into the call:
`**model_options[f"model.{ds}"]`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .. import __version__, ir
from . import escape, pretty
from .imports import Import, block, workflow_imports
from .loops import Block, Program, Scope, every_member, used_variables
from .pretty import Piece, Seq, Text
from .pyexpr import Callables, Names, RuntimeExpression, literal, literal_piece, node_call

Keywords = Callable[[ir.Node], list[tuple[str, Piece]]]  # a node -> the keywords its line carries


def module_context(wf: ir.Workflow, runtime: tuple[str, str], keywords: Keywords,
                   settings: list[tuple[str, Piece]] | None = None) -> dict[str, object]:
    """What the module template of a Python target that runs the graph itself (local, Ray)
    is rendered with; `runtime`: (package, module) the module imports as `rt`."""
    names = Names(item.alias for item in wf.imports)
    rt, sys_ = names.module("rt"), names.module("sys")
    callables = Callables(wf)
    workflow_var = names.module("WORKFLOW")
    graph_text = Graph(wf, names, rt, workflow_var, callables, keywords, settings).text()  # before the imports
    return {
        "version": __version__,
        "source": escape.comment(wf.source),
        "name": escape.docstring(wf.name),
        "rt": rt,
        "sys": sys_,
        "workflow_var": workflow_var,
        "imports": block([Import("sys", alias=sys_), Import(*runtime, rt), *workflow_imports(wf, callables.used)]),
        "graph": graph_text,
    }


class Graph:
    """The graph section of a module; `program` and `tables` are the flow body's too (Prefect)."""

    def __init__(self, wf: ir.Workflow, names: Names, rt: str, workflow_var: str, callables: Callables,
                 keywords: Keywords, settings: list[tuple[str, Piece]] | None = None,
                 uniform: Callable[[ir.Node], object] | None = None):
        self.wf = wf
        self.rt = rt
        self.workflow_var = workflow_var
        self.callables = callables
        self.settings = settings or []
        self.program = Program(wf, names, uniform, callables)
        self.function = names.module("nodes")
        self.tables = Tables(self.program, names, keywords, "options")

    def text(self, comment: str = "") -> str:
        """From the line after the imports to the end of `WORKFLOW = ...` (its first line is blank);
        `comment` goes before WORKFLOW."""
        chunks = ["\n".join(pretty.render(piece) for piece in self.program.names.constant_statements()),
                  self.tables.text()]
        head = "".join("\n" + chunk + "\n" for chunk in chunks if chunk)
        workflow = pretty.render(self.workflow_statement())
        return f"{head}\n\n{self.nodes_function()}\n\n\n" + (f"# {comment}\n" if comment else "") + workflow

    def nodes_function(self) -> str:
        block = pretty.Block(0)
        body = block.nested(f"def {self.function}():")
        body.add('"""The nodes in source order; each loop of the .fuse file is a loop here."""')
        scope = Scope(self.program)
        for item in self.program.items:
            if isinstance(item, Block):
                self.loop(body, item.loop, scope)
            else:
                body.add(Seq(["yield ", self.node_line(item, scope)]))
        if not self.program.items:
            body.add("yield from ()")  # no node: a generator all the same
        return block.text()

    def loop(self, block: pretty.Block, loop: ir.Loop, scope: Scope) -> None:
        body = block.nested(scope.header(loop).statement(self.rt, used_variables(loop)))
        inner = scope.inside(loop)
        for item in loop.body:
            if isinstance(item, ir.Loop):
                self.loop(body, item, inner)
            else:
                body.add(Seq(["yield ", self.statement_line(item, inner)]))

    def node_line(self, node: ir.Node, scope: Scope) -> Piece:
        values = RuntimeExpression(self.rt, self.callables, scope)
        return node_call(self.rt, node, Text(literal(node.name)), Text(literal(node.object)) if node.object else None,
                         self.callables, values, self.tables.keywords(node), self.program.after_values(node))

    def statement_line(self, statement: ir.Statement, scope: Scope) -> Piece:
        values = RuntimeExpression(self.rt, self.callables, scope)
        name = scope.node_name(statement.name)
        obj = statement.object
        object_name = scope.node_name(obj) if isinstance(obj, ir.LoopRef) else (
            Text(literal(obj.node)) if isinstance(obj, ir.Ref) else None)
        return node_call(self.rt, statement, name, object_name, self.callables, values,
                         self.tables.statement_keywords(statement.name, name), statement.after)

    def workflow_statement(self) -> Piece:
        wf, rt = self.wf, self.rt
        scope = Scope(self.program)
        values = RuntimeExpression(rt, self.callables, scope)
        params = [pretty.call(f"{rt}.Param", [Text(literal(p.name)), Text(literal(p.type)), *(
            [pretty.entry("default=", literal_piece(p.default)), Text("required=False")] if not p.required else [])])
            for p in wf.params]
        outputs = [every_member(self.program, item[0], rt, lambda inner: pretty.call(
            f"{rt}.ref", [inner.node_name(item[0])])) if isinstance(item, tuple)  # noqa: B023 (called at once)
            else pretty.entry(literal(item.name), values.visit(item.value)) for item in self.program.outputs()]
        fields = [
            pretty.entry("name=", Text(literal(wf.name))),
            pretty.entry("source=", Text(literal(wf.source))),
            pretty.entry("storage=", Text(literal(wf.storage))),
            Text("home=__file__"),
            pretty.entry("params=", pretty.display("[", params, "]", magic=True)),
            pretty.entry("nodes=", Text(f"list({self.function}())")),
            pretty.entry("outputs=", pretty.display("{", outputs, "}", magic=True)),
            *([pretty.entry("uses=", used_workflows(wf))] if wf.uses else []),
            *(pretty.entry(key + "=", value) for key, value in self.settings),
        ]
        return Seq([self.workflow_var, " = ", pretty.call(f"{rt}.Workflow", fields, magic=True)])


def used_workflows(wf: ir.Workflow) -> Piece:
    """`{"r": ("prep", "lib/prep.fuse")}`: the used workflows' calls, where their nodes keep results."""
    entries = [pretty.entry(literal(use.prefix), Text(f"({literal(use.workflow)}, {literal(use.source)})"))
               for use in wf.uses]
    return pretty.display("{", entries, "}", magic=True)


class Tables:
    """The keywords of node lines: the same for every member of a loop statement, or else a
    table by node name, spread into the call. The table lists every member
    (`**model_options[f"model.{ds}"]`), or, when most members have the same keywords, only
    the others: `**x_options.get(f"x.{i}", {"options": {...}})`."""

    def __init__(self, program: Program, names: Names, keywords: Keywords, suffix: str):
        self.keywords = keywords
        self.shared: dict[str, list[tuple[str, Piece]] | None] = {}  # statement -> most members' keywords
        self.tables: dict[str, tuple[str, list[tuple[str, list[tuple[str, Piece]]]]]] = {}  # -> (name, rows)
        for statement, members in program.members.items():
            found = [keywords(node) for node in members]
            flat = [tuple((key, piece.flat) for key, piece in pairs) for pairs in found]
            common, count = Counter(flat).most_common(1)[0]
            if count == len(members) or count * 2 > len(members):
                self.shared[statement] = found[flat.index(common)]
            else:  # no keywords most members have: every member in the table
                self.shared[statement], common = None, ()
            rows = [(node.name, pairs) for node, pairs, text in zip(members, found, flat, strict=True)
                    if text != common or self.shared[statement] is None]
            if rows:
                self.tables[statement] = (names.module(f"{statement}_{suffix}"), rows)

    def statement_keywords(self, statement: str, name: Piece) -> list[tuple[str, Piece]]:
        shared = self.shared[statement]
        if statement not in self.tables:
            return shared or []
        table = self.tables[statement][0]
        if shared is None:
            return [("**", Text(f"{table}[{name.flat}]"))]
        default = pretty.display("{", [pretty.entry(literal(key), value) for key, value in shared], "}")
        return [("**", pretty.call(f"{table}.get", [name, default]))]

    def text(self) -> str:
        return "\n".join(pretty.render(self.table(statement)) for statement in self.tables)

    def table(self, statement: str) -> Piece:
        name, rows = self.tables[statement]
        entries = [pretty.entry(literal(node), pretty.display(
            "{", [pretty.entry(literal(key), value) for key, value in pairs], "}")) for node, pairs in rows]
        return Seq([name, " = ", pretty.display("{", entries, "}", magic=True)])
