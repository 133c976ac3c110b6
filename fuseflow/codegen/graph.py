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
order, that runtime.bind makes of the IR. A run-time loop is a generator
function of its nodes for given items, declared in `fanouts=[...]`
(codegen.fanout), which makes the nodes runtime.bind makes when it expands. A target says what keywords a node
line carries (`options={...}`, Ray's `ray={...}`); when the members of one loop
statement carry different ones (an `options` entry selects some of them by
name), they come from a table keyed by node name, spread into the call:
`**model_options[f"model.{ds}"]`.
"""
from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable

from .. import __version__, ir
from ..ir.conditions import members as decided_nodes
from ..ir.conditions import shown, where
from . import escape, pretty
from .fanout import ItemDecisions, RunTimeLoop, queries_for, queries_piece
from .imports import Import, block, workflow_imports
from .loops import Block, Program, Scope, every_member, used_variables
from .pretty import Piece, Seq, Text
from .pyexpr import Callables, Names, RuntimeExpression, literal, literal_piece, node_call

Keywords = Callable[[ir.Node], list[tuple[str, Piece]]]  # a node -> the keywords its line carries


def module_context(wf: ir.Workflow, runtime: tuple[str, str], keywords: Keywords,
                   settings: list[tuple[str, Piece]] | None = None,
                   query_targets: tuple[str, ...] = ("neutral",)) -> dict[str, object]:
    """What the module template of a Python target that runs the graph itself (local, Ray)
    is rendered with; `runtime`: (package, module) the module imports as `rt`; `query_targets`:
    the option tables whose queries its run-time loops' nodes take (Graph's)."""
    names = Names(item.alias for item in wf.imports)
    rt, sys_ = names.module("rt"), names.module("sys")
    callables = Callables(wf)
    workflow_var = names.module("WORKFLOW")
    graph = Graph(wf, names, rt, workflow_var, callables, keywords, settings, query_targets=query_targets)
    graph_text = graph.text()  # before the imports
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
    """The graph section of a module; `program` and `tables` are the flow body's too (Prefect).
    `query_targets`: the option tables (neutral, the target's own) whose queries select the
    nodes of its run-time loops when they exist (runtime.fanout gives each node its options)."""

    def __init__(self, wf: ir.Workflow, names: Names, rt: str, workflow_var: str, callables: Callables,
                 keywords: Keywords, settings: list[tuple[str, Piece]] | None = None,
                 uniform: Callable[[ir.Node], object] | None = None, query_targets: tuple[str, ...] = ("neutral",)):
        self.wf = wf
        self.rt = rt
        self.workflow_var = workflow_var
        self.callables = callables
        self.settings = settings or []
        self.program = Program(wf, names, uniform, callables)
        self.function = names.module("nodes")
        self.finals = names.module("final_nodes") if any(node.final for node in wf.nodes) else ""
        self.tables = Tables(self.program, names, keywords, "options")
        self.run_time = [RunTimeLoop(fanout, self.program) for fanout in wf.fanouts]
        self.query_targets = query_targets
        self.queries: list[tuple[tuple, str]] = []  # the run-time loops' queries, the module constant holding them
        for fanout in wf.fanouts:
            queries = queries_for(fanout, query_targets)
            if queries and self.queries_name(queries) is None:
                self.queries.append((queries, names.module("run_time_options")))

    def queries_name(self, queries: tuple) -> str | None:
        return next((name for known, name in self.queries if known == queries), None)

    def text(self, comment: str = "") -> str:
        """From the line after the imports to the end of `WORKFLOW = ...` (its first line is blank);
        `comment` goes before WORKFLOW."""
        chunks = ["\n".join(pretty.render(piece) for piece in self.program.names.constant_statements()),
                  self.tables.text(), self.queries_text()]
        head = "".join("\n" + chunk + "\n" for chunk in chunks if chunk)
        workflow = pretty.render(self.workflow_statement())
        functions = "\n\n\n".join([self.nodes_function(), *([self.finals_function()] if self.finals else []),
                                     *(self.fanout_function(loop) for loop in self.run_time)])
        return f"{head}\n\n{functions}\n\n\n" + (f"# {comment}\n" if comment else "") + workflow

    def queries_text(self) -> str:
        lines = ["# The file's options for the nodes of a run-time loop, selected by the names they get as it runs\n"
                 + pretty.render(Seq([name, " = ", queries_piece(queries)])) for queries, name in self.queries]
        return "\n".join(lines)

    def nodes_function(self) -> str:
        block = pretty.Block(0)
        body = block.nested(f"def {self.function}():")
        body.add('"""The nodes in source order; each loop of the .fuse file is a loop here."""')
        scope = Scope(self.program)
        branch: tuple[ir.Branch, ...] = ()
        for item in self.program.items:
            if isinstance(item, Block):
                self.loop(body, item.loop, scope)
                continue
            if item.final:  # `finally`: final_nodes()
                continue
            if item.when != branch and item.when:  # the nodes of an `if` branch: say which, once
                body.add(f"# {branch_label(self.wf, item.when[-1])}")
            branch = item.when
            body.add(Seq(["yield ", self.node_line(item, scope)]))
        if not any(isinstance(item, Block) or not item.final for item in self.program.items):
            body.add("yield from ()")  # no node: a generator all the same
        return block.text()

    def finals_function(self) -> str:
        """`def final_nodes():`, the calls of `finally`, which run after the rest, whatever it did."""
        block = pretty.Block(0)
        body = block.nested(f"def {self.finals}():")
        body.add('"""The calls of `finally`: run after the rest, on success and on failure, never stored."""')
        scope = Scope(self.program)
        for node in self.wf.nodes:
            if node.final:
                body.add(Seq(["yield ", self.node_line(node, scope)]))
        return block.text()

    def loop(self, block: pretty.Block, loop: ir.Loop, scope: Scope, decisions: ItemDecisions | None = None) -> None:
        body = block.nested(scope.header(loop).statement(self.rt, used_variables(loop)))
        self.body(body, loop.body, scope.inside(loop), decisions)

    def body(self, block: pretty.Block, items: tuple[ir.Statement | ir.Loop, ...], scope: Scope,
             decisions: ItemDecisions | None = None) -> None:
        """The lines of a loop body; `decisions`: a run-time loop's `if`s, declared per item."""
        values = RuntimeExpression(self.rt, self.callables, scope)
        for item in items:
            if decisions is not None:
                decisions.before(block, item, scope, values)
            if isinstance(item, ir.Loop):
                self.loop(block, item, scope, decisions)
            else:
                block.add(Seq(["yield ", self.statement_line(item, scope)]))
        if decisions is not None:
            decisions.rest(block, scope, values)

    def fanout_function(self, loop: RunTimeLoop) -> str:
        """`def table_loop(files):`, the nodes of a run-time loop for its items (codegen.fanout)."""
        block = pretty.Block(0)
        parameters = pretty.group("(", [Text(loop.parameter)], ")", pretty.DEF)
        body = block.nested(Seq(["def ", loop.function, parameters, ":"]))
        text = loop.docstring()
        if body.indent + len(text) + 6 <= pretty.WIDTH:
            body.add(f'"""{text}"""')
        else:  # wrapped at its spaces (an escape never holds one), the closing quotes on a line of their own
            lines = textwrap.wrap(text, pretty.WIDTH - body.indent - 3, break_long_words=False, break_on_hyphens=False)
            body.add('"""' + "\n".join([lines[0], *(" " * body.indent + line for line in lines[1:])]) + "\n" +
                     " " * body.indent + '"""')
        self.body(body.nested(loop.header(self.rt)), loop.loop.body, loop.scope(self.program),
                  ItemDecisions(loop.fanout, self.rt) if loop.fanout.decisions else None)
        return block.text()

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
            *([pretty.entry("finals=", Text(f"list({self.finals}())"))] if self.finals else []),
            *([pretty.entry("fanouts=", pretty.display("[", [loop.declaration(
                rt, values, self.queries_name(queries_for(loop.fanout, self.query_targets)))
                for loop in self.run_time], "]", magic=True))] if self.run_time else []),
            *([pretty.entry("decisions=", decisions(wf, values))] if wf.decisions else []),
            pretty.entry("outputs=", pretty.display("{", outputs, "}", magic=True)),
            *([] if wf.returned else [Text("run_unread=True")]),  # no `return`: every node runs (ir.needed)
            *([pretty.entry("uses=", used_workflows(wf))] if wf.uses else []),
            *(pretty.entry(key + "=", value) for key, value in self.settings),
        ]
        return Seq([self.workflow_var, " = ", pretty.call(f"{rt}.Workflow", fields, magic=True)])


def branch_label(wf: ir.Workflow, branch: ir.Branch) -> str:
    """`if-1: elif a == 3` (`if-1: else`): a branch as a comment names it (one line, escaped)."""
    decision = next(d for d in wf.decisions if d.name == branch.decision)
    word = decision.branch_words()[branch.index].rstrip("0123456789")
    test = f" {shown(decision.tests[branch.index])}" if branch.index < len(decision.tests) else ""
    return escape.comment(f"{decision.name}: {word}{test}")


def decisions(wf: ir.Workflow, values: RuntimeExpression) -> Piece:
    """The `if` chains: rt.decision("if-1", [tests], {node: branch, ...}, where="the `if` on line 5"),
    `when=[("if-1", 0)]` for one inside a branch of another."""
    inside = decided_nodes(wf.decisions, wf.nodes)
    declared = []
    for decision in wf.decisions:
        branches = pretty.display("{", [pretty.entry(literal(node), Text(literal(index)))
                                        for node, index in inside[decision.name].items()], "}", magic=True)
        parts = [Text(literal(decision.name)), pretty.display("[", [values.visit(t) for t in decision.tests], "]"),
                 branches]
        if decision.when:
            parts.append(pretty.entry("when=", pretty.display("[", [Text(f"({literal(b.decision)}, {b.index})")
                                                                   for b in decision.when], "]")))
        parts.append(pretty.entry("where=", Text(literal(where(decision)))))
        declared.append(pretty.call(f"{values.rt}.decision", parts))
    return pretty.display("[", declared, "]", magic=True)


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
        """A run-time loop's statement has none: its nodes take their options as it runs."""
        shared = self.shared.get(statement)
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
