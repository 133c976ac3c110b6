"""The workflow as a generated Python module lays it out: the nodes outside loops one by
one, and each loop of the .fuse file (Workflow.loops) once, as a Python loop.

    program = Program(wf, names)
    for item in program.items:        # an ir.Node, or a Block: a loop and the nodes it stands for
        ...

A loop is written as a loop only when its description gives exactly the
workflow's nodes (fuseflow.ir.expand checks it here); otherwise its nodes are
written one by one, as they are for a loop the compiler could not describe.

How the loops read in Python (LoopNames): a loop over a `let` constant loops
over a module constant of that name; its variables keep their names (renamed
only when that would hide a name of the module). A node name is an f-string of
the statement and the loop keys: `f"model.{ds}.{name}"`. When an item is not
its own key (a float, `true`, "a.b"), the keys come from the runtime's
`keyed`, the compiler's own loop_key: `for x_key, x in rt.keyed(xs)`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ir
from ..ir.expand import Expanded, Expansion
from . import pretty
from .pretty import COMPREHENSION, Group, Piece, Seq, Text
from .pyexpr import Callables, Names, literal, literal_piece, subscripts

ITEM, STR, KEYED = "item", "str", "keyed"  # how a loop's keys are written (Header.style)
FIXED = "fixed"  # one key, known when the module is written: the static loop iteration a run-time loop is in
INLINE_ITEMS = 40  # a literal iterated longer than this (written flat) is a module constant
MAX_DEPTH = 8  # loops nested deeper are written node by node (Python compiles at most 20 nested blocks, and
# a Prefect flow's `x[a][b]...` grows a subscript a level)


@dataclass(slots=True)
class Block:
    """A top-level loop written as a Python loop, and the workflow's nodes it stands for."""

    loop: ir.Loop
    nodes: list[ir.Node]


class Program:
    """The top-level items of a module in source order, and what its loops need."""

    def __init__(self, wf: ir.Workflow, names: Names, uniform: Callable[[ir.Node], object] | None = None,
                 callables: Callables | None = None):
        self.wf = wf
        self.callables = callables or Callables(wf)  # how an imported name in a loop's items is written
        self.uniform = uniform  # what must be the same for every node of a statement written once
        self.expansion = Expansion(wf.loops)
        self.items: list[ir.Node | Block] = []
        self.chains: dict[str, tuple[ir.Loop, ...]] = {}  # statement -> its loops, for loops written as loops
        self.members: dict[str, list[ir.Node]] = {}  # statement -> its nodes, in order
        self.lay_out()
        self.names = LoopNames(self, names, self.callables)

    def lay_out(self) -> None:
        roots = {statement.name: chain[0] for chain, statement in ir.loop_statements(self.wf.loops)}
        failed: set[int] = set()
        nodes, i = self.wf.nodes, 0
        while i < len(nodes):
            root = roots.get(nodes[i].statement) if nodes[i].keys else None
            count = self.matches(root, nodes, i) if root is not None and id(root) not in failed else 0
            if not count:
                if root is not None:
                    failed.add(id(root))
                self.items.append(nodes[i])
                i += 1
                continue
            block = Block(root, list(nodes[i:i + count]))  # type: ignore[arg-type]
            self.items.append(block)
            for node in block.nodes:
                self.members.setdefault(node.statement, []).append(node)
            for chain, statement in ir.loop_statements((root,)):  # type: ignore[arg-type]
                self.chains[statement.name] = chain
            i += count

    def matches(self, root: ir.Loop, nodes: tuple[ir.Node, ...], start: int) -> int:
        """How many nodes from `start` the loop stands for, or 0 if they are not its nodes."""
        if not well_formed(root):
            return 0
        try:
            expected = list(self.expansion.nodes(root))
        except (LookupError, TypeError):  # a description that does not fit its items (not the compiler's)
            return 0
        found = nodes[start:start + len(expected)]
        if len(found) != len(expected) or not all(map(same_node, expected, found)):
            return 0
        if self.uniform is not None:
            seen: dict[str, object] = {}
            for node in found:
                if seen.setdefault(node.statement, self.uniform(node)) != self.uniform(node):
                    return 0
        return len(expected)

    def outputs(self) -> list[ir.Output | tuple[str, list[ir.Output]]]:
        """The outputs in order; a run of them that is every node of one loop statement, each under
        its own name, in order, is (statement, the run): a module writes it as one comprehension."""
        found: list[ir.Output | tuple[str, list[ir.Output]]] = []
        outputs, i = self.wf.outputs, 0
        while i < len(outputs):
            statement = outputs[i].name.partition(".")[0]
            members = self.members.get(statement, []) if statement in self.chains else []
            run = outputs[i:i + len(members)]
            if len(members) > 1 and len(run) == len(members) and all(
                    type(o.value) is ir.Ref and o.value == ir.Ref(o.name) and o.name == node.name
                    for o, node in zip(run, members, strict=True)):
                found.append((statement, list(run)))
                i += len(members)
            else:
                found.append(outputs[i])
                i += 1
        return found

    def after_values(self, node: ir.Node) -> list[ir.Value]:
        """The file's `after` of a node written alone, as values: a run of names that is a family
        of a statement written as a loop (all of it, or the members under some of its keys) is
        that Family, written as the loop's comprehension; any other name a Ref."""
        names, found, i = node.declared_after, [], 0
        while i < len(names):
            family = self._family_at(names, i)
            found.append(family or ir.Ref(names[i]))
            i += len(tuple(ir.referenced_nodes(family))) if family is not None else 1
        return found

    def _family_at(self, names: tuple[str, ...], i: int) -> ir.Family | None:
        statement, *keys = names[i].split(".")
        chain = self.chains.get(statement)
        if chain is None or len(keys) != len(chain):
            return None
        for fixed in range(len(keys)):  # the whole family first
            family = self.expansion.family(statement, tuple(keys[:fixed]))
            members = tuple(ir.referenced_nodes(family))
            if type(family) is ir.Family and names[i:i + len(members)] == members:
                return family
        return None

    def family_keys(self, value: ir.Family) -> tuple[str, tuple[str, ...]] | None:
        """(statement, the constant keys of its outer loops) when `value` is all the members of a
        statement written as a loop under those keys: `fam["n"]` is ("fam", ("n",))."""
        chain = self.chains.get(value.name)
        if chain is None or not value.members:
            return None
        depth, leaf = 0, value
        while type(leaf) is ir.Family:
            depth += 1
            leaf = leaf.members[0][1] if leaf.members else None  # type: ignore[assignment]
        if type(leaf) is not ir.Ref or depth > len(chain):
            return None
        keys = tuple(leaf.node.split(".")[1:len(chain) - depth + 1])
        expected = self.expansion.family(value.name, keys)
        return (value.name, keys) if same_value(expected, value) else None


def well_formed(root: ir.Loop) -> bool:
    """Names the module writes as Python names are identifiers (the compiler's always are), and
    Python can compile the loops nested that deep."""
    if max(len(chain) for chain, _ in ir.loop_statements((root,))) > MAX_DEPTH:
        return False
    for loop in _all_loops([root]):
        if not all(name.isidentifier() for name in (*loop.vars, *([loop.let] if loop.let else []))):
            return False
    return all(statement.name.isidentifier() for _, statement in ir.loop_statements((root,)))


def same_node(expected: Expanded, node: ir.Node) -> bool:
    return (expected.name, expected.kind, expected.target, expected.object, expected.keys, expected.after) == \
        (node.name, node.kind, node.target, node.object, node.keys, node.declared_after) and \
        _same_all(expected.args, node.args) and \
        [k for k, _ in expected.kwargs] == [k for k, _ in node.kwargs] and \
        _same_all([v for _, v in expected.kwargs], [v for _, v in node.kwargs])


def same_value(a: ir.Value, b: ir.Value) -> bool:
    """Equal, with the types of constants told apart (1, 1.0 and true are not the same)."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is ir.Literal:
        return same_data(a.value, b.value)  # type: ignore[attr-defined]
    if kind is ir.ListOf:
        return _same_all(a.items, b.items)  # type: ignore[attr-defined]
    if kind is ir.DictOf or kind is ir.Family:
        pairs_a, pairs_b = (a.items, b.items) if kind is ir.DictOf else (a.members, b.members)  # type: ignore[attr-defined]
        return (kind is ir.DictOf or a.name == b.name) and [k for k, _ in pairs_a] == [k for k, _ in pairs_b] and \
            _same_all([v for _, v in pairs_a], [v for _, v in pairs_b])  # type: ignore[attr-defined]
    return a == b  # names and index paths (of ints and strings)


def _same_all(a: Sequence[ir.Value], b: Sequence[ir.Value]) -> bool:
    return len(a) == len(b) and all(map(same_value, a, b))


def same_data(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(map(same_data, a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same_data(a[k], b[k]) for k in a)
    return bool(a == b)


# --- names and headers --------------------------------------------------------------------


@dataclass(slots=True)
class Header:
    """How one loop reads in Python: its variables' names, where its items come from, its keys."""

    loop: ir.Loop
    vars: tuple[str, ...]  # the Python names of its variables
    source: Piece  # what it iterates: a constant's name, or a short literal
    style: str  # ITEM: a key is the item (dict key); STR: str(item); KEYED: from rt.keyed (rt.items); FIXED
    key_var: str  # the key's name under KEYED (and a run-time loop's), the key itself under FIXED

    def key(self) -> str:
        """The loop key as an expression."""
        if self.style == FIXED:
            return literal(self.key_var)
        if self.style == KEYED:
            return self.key_var
        return self.vars[0] if self.style == ITEM else f"str({self.vars[0]})"

    def name_part(self) -> str:
        """The loop key inside an f-string (a FIXED key as it is: it holds no brace or quote)."""
        if self.style == FIXED:
            return self.key_var
        return "{" + (self.key_var if self.style == KEYED else self.vars[0]) + "}"

    def statement(self, rt: str, used: set[str]) -> Piece:
        """`for ... in ...:` over the items, binding the variables in `used` (the others `_`)."""
        names = [name if name in used else "_" for name in self.vars]
        if self.loop.unpacks:
            if self.style != KEYED:
                names[0] = self.vars[0]  # the key is the first value
                return Seq(["for ", ", ".join(names), " in ", self.source, ":"])
            return Seq(["for ", f"{self.key_var}, ({', '.join(names)})", " in ",
                        pretty.call(f"{rt}.keyed", [self.source, Text("first=True")]), ":"])
        pairs = isinstance(self.loop.items, dict) and len(self.vars) == 2 and names[1] != "_"
        if self.style != KEYED:
            names[0] = self.vars[0]  # the key is the first variable
            target = ", ".join(names) if pairs else names[0]
            return Seq(["for ", target, " in ", self.iterated(pairs), ":"])
        inner = f"({', '.join(names)})" if pairs else names[0]
        return Seq(["for ", f"{self.key_var}, {inner}", " in ", pretty.call(f"{rt}.keyed", [self.iterated(pairs)]),
                    ":"])

    def clause(self, rt: str) -> Piece:
        """`for ... in ...` of a comprehension that needs only the keys."""
        if self.style != KEYED:
            rest = ", *_" if self.loop.unpacks else ""
            return Seq(["for ", self.vars[0] + rest, " in ", self.source])
        first = [Text("first=True")] if self.loop.unpacks else []
        return Seq(["for ", f"{self.key_var}, _", " in ", pretty.call(f"{rt}.keyed", [self.source, *first])])

    def iterated(self, pairs: bool) -> Piece:
        return Seq([self.source, ".items()"]) if pairs else self.source


class LoopNames:
    """The Python names of the loops' variables and constants, allocated once for the module."""

    def __init__(self, program: Program, names: Names, callables: Callables):
        self.names = names
        self.callables = callables
        self.constants: list[tuple[str, Any]] = []  # module constants the loops iterate, in order
        self.headers: dict[int, Header] = {}  # by id() of the loop
        self.allocated: dict[tuple[str, str], str] = {}  # ("let" | "var" | "key", name in the file) -> Python name
        self.add([block.loop for block in program.items if isinstance(block, Block)])

    def add(self, roots: list[ir.Loop]) -> None:
        """Headers for these loops and those inside them (and the `let` constants they iterate)."""
        loops = _all_loops(roots)
        for loop in loops:
            if loop.let and ("let", loop.let) not in self.allocated:
                self.constants.append((self.allocate("let", loop.let), loop.items))
        for loop in loops:
            self.headers[id(loop)] = self.header(loop)

    def header(self, loop: ir.Loop) -> Header:
        variables = tuple(self.allocate("var", name) for name in loop.vars)
        style = key_style([item[0] for item in loop.items] if loop.unpacks else loop.items)
        key_var = self.allocate("key", variables[0] + "_key") if style == KEYED else ""
        if loop.let:
            source: Piece = Text(self.allocated[("let", loop.let)])
        elif not ir.holds_imported(loop.items) and len(literal(loop.items)) <= INLINE_ITEMS:
            source = literal_piece(loop.items)
        else:
            name = self.names.module(f"{variables[0]}_items")
            self.constants.append((name, loop.items))
            source = Text(name)
        return Header(loop, variables, source, style, key_var)

    def allocate(self, kind: str, name: str) -> str:
        if (kind, name) not in self.allocated:
            self.allocated[(kind, name)] = self.names.module(name)
        return self.allocated[(kind, name)]

    def constant_statements(self) -> list[Piece]:
        return [Seq([name, " = ", self.data_piece(items)]) for name, items in self.constants]

    def data_piece(self, items: Any) -> Piece:
        """Loop items as Python: literal data, with an imported name (ir.Imported) as the file imports it."""
        if type(items) is ir.Imported:
            return Text(self.callables.expression(items.target) + subscripts(items.path))
        if not ir.holds_imported(items):
            return literal_piece(items)
        if isinstance(items, list):
            return pretty.display("[", [self.data_piece(item) for item in items], "]")
        return pretty.display("{", [pretty.entry(literal(k), self.data_piece(v)) for k, v in items.items()], "}")


def _all_loops(loops: list[ir.Loop]) -> list[ir.Loop]:
    found: list[ir.Loop] = []
    for loop in loops:
        found.append(loop)
        found += _all_loops([item for item in loop.body if isinstance(item, ir.Loop)])
    return found


def key_style(items: Any) -> str:
    """ITEM when every key is its item as written (dict keys, short names), STR when it is
    str(item) (integers), else KEYED."""
    values = list(items)  # a dict's keys
    if all(type(v) is str and ir.loop_key(v, i) == v for i, v in enumerate(values)):
        return ITEM
    if all(type(v) in (int, str) and ir.loop_key(v, i) == str(v) for i, v in enumerate(values)):
        return STR
    return KEYED


def used_variables(loop: ir.Loop) -> set[str]:
    """The variables of `loop` its statements read (LoopVar), at any depth."""
    used: set[str] = set()
    for _, statement in ir.loop_statements((loop,)):
        for value in (*statement.values(), *([statement.object] if statement.object else [])):
            used.update(v.name for v in ir.walk(value) if type(v) is ir.LoopVar and v.name in loop.vars)
    return used


# --- values where they are written ------------------------------------------------------------


@dataclass(slots=True)
class Layer:
    """Loops a module writes apart from the program's: a run-time loop's (codegen.fanout), its
    statements' chains (the loops around each, outermost first) and their headers, by id()."""

    chains: dict[str, tuple[ir.Loop, ...]]
    headers: dict[int, Header]


class Scope:
    """The loops open where a value is written (outermost first), and how it reads there;
    `layer`: the run-time loop it is in, if any."""

    def __init__(self, program: Program, open_loops: tuple[ir.Loop, ...] = (), layer: Layer | None = None):
        self.program = program
        self.open = open_loops
        self.layer = layer

    def inside(self, loop: ir.Loop) -> Scope:
        return Scope(self.program, (*self.open, loop), self.layer)

    def header(self, loop: ir.Loop) -> Header:
        if self.layer is not None and id(loop) in self.layer.headers:
            return self.layer.headers[id(loop)]
        return self.program.names.headers[id(loop)]

    def chain(self, statement: str) -> tuple[ir.Loop, ...]:
        """The loops around a statement written as a loop, outermost first."""
        if self.layer is not None and statement in self.layer.chains:
            return self.layer.chains[statement]
        return self.program.chains[statement]

    def python_var(self, name: str) -> str:
        """The Python name of the loop variable `name` of an open loop."""
        for loop in reversed(self.open):
            if name in loop.vars:
                return self.header(loop).vars[loop.vars.index(name)]
        raise KeyError(name)

    def loop_var(self, value: ir.LoopVar) -> Piece:
        return Text(self.python_var(value.name) + "".join(f"[{literal(step)}]" for step in value.path))

    def node_name(self, value: ir.LoopRef | str) -> Piece:
        """The name of a statement's node at the current keys: f"parts.{ds}"."""
        statement = value if isinstance(value, str) else value.statement
        depth = len(self.chain(statement))
        return name_piece(statement, [self.header(loop).name_part() for loop in self.open[:depth]])

    def decision_name(self, name: str) -> Piece:
        """The name of an `if` of a run-time loop's body at the current keys (`if-1.*` as lowering
        names it): f"if-1.{x_key}", after the static keys around the loop."""
        base, *keys = name.split(".")
        return name_piece(base, [self.header(loop).name_part() for loop in self.open[:len(keys)]])

    def family(self, value: ir.LoopFamily | ir.Family, rt: str) -> Piece | None:
        """rt.family("x", {k: rt.ref(f"x.{o}.{k}") for k in ...}), or None for a family this
        module writes member by member."""
        if type(value) is ir.LoopFamily:
            statement = value.statement
            fixed = [self.header(loop).name_part() for loop in self.open[:value.fixed]]
        else:
            found = self.program.family_keys(value)  # type: ignore[arg-type]
            if found is None:
                return None
            statement, keys = found
            fixed = list(keys)
        free = self.chain(statement)[len(fixed):]
        element: Piece = pretty.call(f"{rt}.ref", [name_piece(statement, fixed + [
            self.header(loop).name_part() for loop in free])])
        for loop in reversed(free):
            header = self.header(loop)
            element = Group("{", [pretty.entry(header.key(), element), header.clause(rt)], "}", COMPREHENSION)
        return pretty.call(f"{rt}.family", [Text(literal(statement)), element])


def every_member(program: Program, statement: str, rt: str, element: Callable[[Scope], Piece]) -> Piece:
    """`**{f"x.{i}": <element> for i in ...}`: an entry of a dict display for each node of the
    statement, under its name; `element` writes the value where the statement's loops are open."""
    chain = program.chains[statement]
    inner = Scope(program, chain)
    clauses = [inner.header(loop).clause(rt) for loop in chain]
    entry = pretty.entry(inner.node_name(statement).flat, element(inner))
    return Seq(["**", Group("{", [entry, *clauses], "}", COMPREHENSION)])


def name_piece(statement: str, parts: list[str]) -> Piece:
    """`"x.a"`, or f"x.{o}" when a part is a key expression ({...}); keys hold no brace or quote."""
    text = ".".join([statement, *parts])
    return Text(f'f"{text}"' if any(part.startswith("{") for part in parts) else literal(text))
