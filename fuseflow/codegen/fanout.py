"""Run-time loops (Workflow.fanouts) as a generated Python module writes them: a generator
function of each loop's nodes for the items it is given, which the workflow declares.

    def table_loop(files):
        \"\"\"`for f in files`: the nodes of each item, once the workflow knows them.\"\"\"
        for f_key, f in rt.items(files):
            yield rt.call(f"table.{f_key}", load, [f])
            for k in [1, 2]:
                yield rt.call(f"cell.{f_key}.{k}", add, [rt.ref(f"table.{f_key}"), k])

    WORKFLOW = rt.Workflow(..., fanouts=[rt.fanout(rt.ref("files"), table_loop, ["table", "cell"], ...)])

The body is written as the static loops' bodies are (codegen.loops): the loop
is a Layer of loops around its statements, the static loop iteration it is in
first (one fixed key each: `table.moons.{f_key}`, as ir.fanout names them),
then the loop itself, keyed by runtime.fanout's `items` (position, or dict
key), then the static loops inside it. Options are not written on its lines:
the file's queries select its nodes by name when they exist (runtime.fanout).
"""
from __future__ import annotations

from typing import Any

from .. import ir
from ..ir.conditions import shown
from ..ir.fanout import decision_loops
from . import escape, pretty
from .loops import FIXED, KEYED, Header, Layer, Program, Scope, name_piece, used_variables
from .pretty import COMPREHENSION, Piece, Seq, Text
from .pyexpr import RuntimeExpression, literal, literal_piece


class RunTimeLoop:
    """One run-time loop of the module: its function's name and parameter, and its Layer."""

    def __init__(self, fanout: ir.FanOut, program: Program):
        self.fanout = fanout
        names = program.names
        # the static loop iteration it is in, as one-iteration loops (as ir.fanout.expand_fanout nests it)
        self.outer = tuple(ir.Loop((f"*{depth}",), {key: None}) for depth, key in enumerate(fanout.keys))
        self.loop = ir.Loop(fanout.vars, [], fanout.body, positions=True)
        first = fanout.statements()[0] if fanout.body else "run_time"
        self.function = names.names.module(identifier("_".join((first, *fanout.keys, "loop"))))
        self.parameter = names.allocate("items", identifier(_iterated_name(fanout.iterable)))
        variables = tuple(names.allocate("var", name) for name in fanout.vars)
        headers = {id(loop): Header(loop, ("_",), Text(""), FIXED, key) for loop, key in zip(self.outer, fanout.keys,
                                                                                          strict=True)}
        headers[id(self.loop)] = Header(self.loop, variables, Text(self.parameter), KEYED,
                                        names.allocate("key", variables[0] + "_key"))
        inner = [item for item in fanout.body if isinstance(item, ir.Loop)]
        names.add(inner)  # the static loops inside it: headers as every loop of the module has
        chains = {statement.name: (*self.outer, *chain) for chain, statement in ir.loop_statements((self.loop,))}
        self.layer = Layer(chains, headers)

    def scope(self, program: Program) -> Scope:
        """Where its body is written: its loops open."""
        return Scope(program, (*self.outer, self.loop), self.layer)

    def header(self, rt: str, source: Piece | None = None) -> Piece:
        """`for f_key, f in rt.items(files):` (`for k_key, (k, v) in rt.items(sizes, names=2):`);
        `source`: what it iterates, when not the function's parameter (a Prefect flow body's)."""
        header = self.layer.headers[id(self.loop)]
        used = used_variables(self.loop)
        bound = [python if name in used else "_" for name, python in zip(self.loop.vars, header.vars, strict=True)]
        target = "_" if set(bound) == {"_"} else bound[0] if len(bound) == 1 else f"({', '.join(bound)})"
        extra = [Text(f"names={len(bound)}")] if len(bound) > 1 else []
        return Seq(["for ", f"{header.key_var}, {target}", " in ",
                    pretty.call(f"{rt}.items", [source or Text(self.parameter), *extra]), ":"])

    def docstring(self) -> str:
        """What the function stands for, as the file writes the loop."""
        loop = f"for {', '.join(self.fanout.vars)} in {iterable_text(self.fanout.iterable)}"
        within = f" (in the iteration {'.'.join(self.fanout.keys)})" if self.fanout.keys else ""
        return escape.docstring(f"`{loop}`{within}: the nodes of each item, once the workflow knows them.")

    def declaration(self, rt: str, values: RuntimeExpression, queries: str | None) -> Piece:
        """rt.fanout(<iterable>, <function>, [statements], keys=[...], reads=[...], names=N, queries=...)."""
        fanout = self.fanout
        arguments: list[Piece] = [values.visit(fanout.iterable), Text(self.function), strings(fanout.statements())]
        if fanout.keys:
            arguments.append(pretty.entry("keys=", strings(fanout.keys)))
        reads = ir.fanout_inputs(fanout)
        if reads:
            arguments.append(pretty.entry("reads=", strings(reads)))
        if len(fanout.vars) > 1:
            arguments.append(Text(f"names={len(fanout.vars)}"))
        if queries is not None:
            arguments.append(pretty.entry("queries=", Text(queries)))
        if fanout.when:  # in `if` branches: it expands once they are taken
            arguments.append(pretty.entry("when=", pretty.display("[", [
                Text(f"({literal(b.decision)}, {b.index})") for b in fanout.when], "]")))
        if fanout.merged:  # names every branch of an `if` assigns: gathered as the taken branches' nodes
            arguments.append(pretty.entry("merged=", pretty.display("{", [
                pretty.entry(literal(name), merged_piece(value)) for name, value in fanout.merged], "}")))
        return pretty.call(f"{rt}.fanout", arguments)


def merged_piece(value: ir.Value) -> Piece:
    """("if-1", ["r.if", "r.else"]): a name every branch of an `if` of the body assigns, as rt.fanout
    takes it (the `if`, and its branches' statements in branch order; a branch whose own `if`
    assigns it in every branch: that `if`'s, nested: ("if-1", [("if-2", ["r.if.if", ...]), "r.else"]))."""
    assert isinstance(value, ir.OneOf), "FanOut.merged holds a OneOf of the branches' LoopRefs"
    members = [merged_piece(member) if isinstance(member, ir.OneOf) else Text(literal(member.statement))
               for member in value.members if isinstance(member, (ir.OneOf, ir.LoopRef))]
    return pretty.display("(", [Text(literal(value.decision.split(".")[0])), pretty.display("[", members, "]")],
                          ")")


class ItemDecisions:
    """The `if`s of a run-time loop's body as its function writes them, per item:

        yield rt.decision(f"if-1.{x_key}", [rt.test(">", rt.ref(f"d.{x_key}"), 4)],
                          {f"r.if.{x_key}": 0, f"r.else.{x_key}": 1}, where=f"the `if` on line 8 (iteration {x_key})")
        # if-1: if d > 4
        yield rt.call(f"r.if.{x_key}", keep, [rt.ref(f"d.{x_key}")])

    each decision before the first statement inside it (outermost first), in the static loop of
    the body it is in (once per iteration: f"if-2.{x_key}.{k}"), the nodes of each branch under
    a comment naming it."""

    def __init__(self, fanout: ir.FanOut, rt: str):
        self.fanout = fanout
        self.rt = rt
        self.by_name = {decision.name: decision for decision in fanout.decisions}
        # the static loops of the body each is in, by id(): it is declared where they are open
        self.loops = {name: tuple(map(id, chain)) for name, chain in decision_loops(fanout).items()}
        self.declared: set[str] = set()
        self.branch: tuple[ir.Branch, ...] = ()

    def before(self, block: pretty.Block, item: ir.Statement | ir.Loop, scope: Scope,
               values: RuntimeExpression) -> None:
        """Declare the decisions of this level `item` (a statement, or a static loop holding some)
        is inside that are not declared yet; name the branch it is in."""
        level = self.level(scope)
        for branch in _branches(item):
            if branch.decision not in self.declared and self.loops[branch.decision] == level:
                self.declared.add(branch.decision)
                block.add(Seq(["yield ", self.declaration(self.by_name[branch.decision], scope, values)]))
        when = branches_around(item, self.loops)
        if when and when != self.branch:
            block.add(f"# {self.label(when[-1])}")
        self.branch = when

    def rest(self, block: pretty.Block, scope: Scope, values: RuntimeExpression) -> None:
        """The decisions of this level no statement is inside (an `if` whose branches hold nothing
        that runs)."""
        level = self.level(scope)
        for decision in self.fanout.decisions:
            if decision.name not in self.declared and self.loops[decision.name] == level:
                self.declared.add(decision.name)
                block.add(Seq(["yield ", self.declaration(decision, scope, values)]))

    def level(self, scope: Scope) -> tuple[int, ...]:
        """The static loops of the body open in `scope`, by id()."""
        return tuple(map(id, scope.open[len(self.fanout.keys) + 1:]))

    def label(self, branch: ir.Branch) -> str:
        """`if-1: elif x == 0`: a branch as a comment names it (one line, escaped)."""
        decision = self.by_name[branch.decision]
        word = decision.branch_words()[branch.index].rstrip("0123456789")
        test = f" {shown(decision.tests[branch.index])}" if branch.index < len(decision.tests) else ""
        return escape.comment(f"{decision.name.split('.')[0]}: {word}{test}")

    def declaration(self, decision: ir.Decision, scope: Scope, values: RuntimeExpression) -> Piece:
        """rt.decision(f"if-1.{x_key}", [tests], {node: branch, ...}, when=[...], where=f"...")."""
        entries: list[Piece] = []
        for around, statement in _statements(self.fanout.body):
            index = next((b.index for b in statement.when if b.decision == decision.name), None)
            if index is None:
                continue
            loops = around[len(self.loops[decision.name]):]  # those inside the decision's (open in `scope`)
            keys = [scope.header(loop).name_part() for loop in (*scope.open, *loops)]
            entry = Seq([name_piece(statement.name, keys), ": ", Text(str(index))])
            if loops:  # inside static loops of the body: a node per their iteration
                entries.append(Seq(["**", pretty.Group("{", [entry, *(scope.header(loop).clause(self.rt)
                                                                      for loop in loops)], "}", COMPREHENSION)]))
            else:
                entries.append(entry)
        parts: list[Piece] = [scope.decision_name(decision.name),
                              pretty.display("[", [values.visit(test) for test in decision.tests], "]"),
                              pretty.display("{", entries, "}", magic=True)]
        if decision.when:
            around = [Seq(["(", scope.decision_name(b.decision), f", {b.index})"]) for b in decision.when]
            parts.append(pretty.entry("when=", pretty.display("[", around, "]")))
        keys = ".".join(scope.header(loop).name_part() for loop in scope.open[:len(decision.keys)])
        parts.append(pretty.entry("where=", Text(f'f"the `if` on line {decision.span[0]} (iteration {keys})"')))
        return pretty.call(f"{self.rt}.decision", parts)


def branches_around(item: ir.Statement | ir.Loop, loops: dict[str, tuple[int, ...]]) -> tuple[ir.Branch, ...]:
    """The branches a run-time loop's body item is in, outermost first: a static loop's are those
    of its statements outside it (`loops`: the id()s of the static loops around each `if`)."""
    found = _statements((item,))
    if not found:
        return ()
    when = found[0][1].when
    if isinstance(item, ir.Loop):
        inside = next((i for i, branch in enumerate(when) if id(item) in loops.get(branch.decision, ())), len(when))
        when = when[:inside]
    return when


def _branches(item: ir.Statement | ir.Loop) -> list[ir.Branch]:
    """The branches the statements of `item` are in, outermost first, each once, in order."""
    found: dict[ir.Branch, None] = {}
    for _, statement in _statements((item,)):
        found.update(dict.fromkeys(statement.when))
    return list(found)


def _statements(items: tuple[ir.Statement | ir.Loop, ...], loops: tuple[ir.Loop, ...] = ()
                ) -> list[tuple[tuple[ir.Loop, ...], ir.Statement]]:
    """The statements of a body with the static loops around each inside it, in order."""
    found: list[tuple[tuple[ir.Loop, ...], ir.Statement]] = []
    for item in items:
        if isinstance(item, ir.Loop):
            found += _statements(item.body, (*loops, item))
        else:
            found.append((loops, item))
    return found


def strings(items: list[str] | tuple[str, ...]) -> Piece:
    """["a", "b"]: names as a list display."""
    return pretty.display("[", [Text(literal(item)) for item in items], "]")


def queries_for(fanout: ir.FanOut, targets: tuple[str, ...]) -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """The file's option queries a target's nodes take (those of `targets`), in order."""
    return tuple(query for query in fanout.queries if query[1] in targets)


def queries_piece(queries: tuple[tuple[str, str, dict[str, Any]], ...]) -> Piece:
    """[(regex, target, {options}), ...] as a module constant holds them."""
    rows = [pretty.display("(", [Text(literal(regex)), Text(literal(target)), literal_piece(options)], ")")
            for regex, target, options in queries]
    return pretty.display("[", rows, "]", magic=True)


def iterable_text(value: ir.Value) -> str:
    """What a run-time loop iterates, as a docstring names it: `files`, `parts['names'][0]`."""
    name = value.name if type(value) is ir.ParamRef else value.node  # type: ignore[attr-defined]
    return name + "".join(f"[{key!r}]" for key in value.path)  # type: ignore[attr-defined]


def _iterated_name(value: ir.Value) -> str:
    return value.name if type(value) is ir.ParamRef else value.node  # type: ignore[attr-defined, no-any-return]


def identifier(text: str) -> str:
    """`text` as a Python name: what is not a letter, digit or '_' becomes '_' (`r.x` -> `r_x`)."""
    name = "".join(c if c.isalnum() and c.isascii() or c == "_" else "_" for c in text)
    return name if name and not name[0].isdigit() else "_" + name
