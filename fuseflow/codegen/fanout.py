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
from . import escape, pretty
from .loops import FIXED, KEYED, Header, Layer, Program, Scope, used_variables
from .pretty import Piece, Seq, Text
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
        return pretty.call(f"{rt}.fanout", arguments)


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
