"""The DAG as Graphviz DOT or Mermaid text (functionfuse's GraphWorkflow).

Labels come from the file (node names, callables), so they are escaped for
each format: a name can never become markup.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from .. import ir
from ..ir import Node, Use, Workflow, referenced_nodes
from ..ir.conditions import branch_words, shown
from ..ir.record import replace
from ..runtime.bind import iterable_text


def to_dot(wf: Workflow) -> str:
    wf, loops = _drawable(wf)
    loops += _branches(wf)
    lines = [f"digraph {_dot_id(wf.name)} {{", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];']

    def node_line(node: Node, indent: str) -> None:
        shape = ", shape=box3d" if node.kind == "object" else ""
        lines.append(f"{indent}{_dot_id(node.name)} [label={_dot_id(_label(node))}{shape}];")

    def group(use: Use, indent: str) -> str:
        lines.append(f"{indent}subgraph {_dot_id('cluster_' + use.prefix)} {{")
        lines.append(f"{indent}  label={_dot_id(_group_label(use))};")
        return f"{indent}}}"

    _grouped(wf, node_line, group, lines)
    for i, (label, names) in enumerate(loops):
        lines += [f"  subgraph {_dot_id(f'cluster_loop{i}')} {{", f"    label={_dot_id(label)};", "    style=dashed;"]
        lines += [f"    {_dot_id(name)};" for name in names]
        lines.append("  }")
    for node in wf.nodes:
        for dep in node.dependencies():
            style = " [style=dashed]" if _order_only(node, dep) else ""
            lines.append(f"  {_dot_id(dep)} -> {_dot_id(node.name)}{style};")
    for test_read, node_name in _decided_by(wf):
        lines.append(f"  {_dot_id(test_read)} -> {_dot_id(node_name)} [style=dotted];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(wf: Workflow) -> str:
    wf, loops = _drawable(wf)
    loops += _branches(wf)
    ids = {node.name: f"n{i}" for i, node in enumerate(wf.nodes)}
    lines = ["flowchart TD"]

    def node_line(node: Node, indent: str) -> None:
        lines.append(f'{indent}{ids[node.name]}["{_mermaid_text(_label(node))}"]')

    def group(use: Use, indent: str) -> str:
        lines.append(f'{indent}subgraph u{wf.uses.index(use)}["{_mermaid_text(_group_label(use))}"]')
        return f"{indent}end"

    _grouped(wf, node_line, group, lines)
    for i, (label, names) in enumerate(loops):
        lines += [f'  subgraph loop{i}["{_mermaid_text(label)}"]', *(f"    {ids[name]}" for name in names), "  end"]
    for node in wf.nodes:
        for dep in node.dependencies():
            arrow = "-.->" if _order_only(node, dep) else "-->"
            lines.append(f"  {ids[dep]} {arrow} {ids[node.name]}")
    for test_read, node_name in _decided_by(wf):
        lines.append(f"  {ids[test_read]} -.-> {ids[node_name]}")
    return "\n".join(lines) + "\n"


def _branches(wf: Workflow) -> list[tuple[str, list[str]]]:
    """Per branch of each `if`, its label (`if-1: if a >= n`, `if-1: else`) and the nodes whose
    innermost branch it is, to draw as a group."""
    groups: list[tuple[str, list[str]]] = []
    for decision in wf.decisions:
        words = branch_words(len(decision.tests), decision.has_else)
        for index, word in enumerate(words):
            names = [node.name for node in wf.nodes if node.when and node.when[-1] == ir.Branch(decision.name, index)]
            if names:
                test = f" {shown(decision.tests[index])}" if index < len(decision.tests) else ""
                groups.append((f"{decision.name}: {word.rstrip('0123456789')}{test}", names))
    return groups


def _decided_by(wf: Workflow) -> list[tuple[str, str]]:
    """(a node a decision's tests read, a node of one of its branches that reads nothing else of
    the branch): drawn as dotted edges, the decision's control over the branch."""
    edges: list[tuple[str, str]] = []
    for decision in wf.decisions:
        reads = list(dict.fromkeys(name for test in decision.tests for name in referenced_nodes(test)))
        inside = {node.name for node in wf.nodes if node.when and node.when[-1].decision == decision.name}
        for node in wf.nodes:
            if node.name in inside and not inside.intersection(node.dependencies()):
                edges += [(read, node.name) for read in reads if read not in node.dependencies()]
    return edges


def _drawable(wf: Workflow) -> tuple[Workflow, list[tuple[str, list[str]]]]:
    """`wf` with each run-time loop's statements as nodes keyed `*` (`table.*`, one for every
    item), after the node it iterates (a dashed edge) and read where its results are gathered;
    and per loop, its label and those nodes, to draw as a group."""
    if not wf.fanouts:
        return wf, []
    drawn: list[Node] = []
    decisions: list[ir.Decision] = []
    groups: list[tuple[str, list[str]]] = []
    members: dict[tuple[str, tuple[str, ...]], ir.Value] = {}
    for fanout in wf.fanouts:
        one = [None] if len(fanout.vars) == 1 else [[None] * len(fanout.vars)]
        made, gathered = ir.expand_fanout(fanout, one)
        made_decisions = ir.fanout_decisions(fanout, one)
        rename = _ItemKey(len(fanout.keys), [(node.name, node.statement, node.keys) for node in made]
                          + [(d.name, d.name[:-len(".".join(d.keys)) - 1], d.keys) for d in made_decisions])
        producers = tuple(referenced_nodes(fanout.iterable))
        reading = _reading_items(fanout)  # the statements that read the item: after the node iterated
        nodes = [replace(node, name=rename.name(node.name), object=rename.name(node.object) if node.object else None,
                         args=tuple(rename.visit(v) for v in node.args),
                         kwargs=tuple((k, rename.visit(v)) for k, v in node.kwargs),
                         after=producers if node.statement in reading else (),
                         when=tuple(ir.Branch(rename.name(b.decision), b.index) for b in node.when))
                 for node in made]
        # drawn with the tests as the file writes them (`x == 0`), reading the drawn item's nodes
        drawn_item = _DrawnItem(fanout.keys)
        templates = {d.name.split(".")[0]: d for d in fanout.decisions}  # each `if` of the body, by its number
        decisions += [replace(d, name=rename.name(d.name), when=tuple(ir.Branch(rename.name(b.decision), b.index)
                                                                      for b in d.when),
                              tests=tuple(drawn_item.visit(t) for t in templates[d.name.split(".")[0]].tests))
                      for d in made_decisions]
        drawn += nodes
        groups.append((f"for {', '.join(fanout.vars)} in {iterable_text(fanout.iterable)}: one per item, at run time",
                       [node.name for node in nodes]))
        members.update({(statement, fanout.keys): rename.visit(value) for statement, value in gathered.items()})
    gather = _Gathered(members)
    static = [replace(node, args=tuple(gather.visit(v) for v in node.args),
                      kwargs=tuple((k, gather.visit(v)) for k, v in node.kwargs)) for node in wf.nodes]
    return replace(wf, nodes=(*static, *drawn), fanouts=(), decisions=(*wf.decisions, *decisions)), groups


def _reading_items(fanout: ir.FanOut) -> set[str]:
    found: set[str] = set()
    for _, statement in ir.loop_statements([ir.Loop(fanout.vars, [], fanout.body)]):
        values = [*statement.values(), *([statement.object] if statement.object is not None else [])]
        if any(type(v) is ir.LoopVar and v.name in fanout.vars for value in values for v in ir.walk(value)):
            found.add(statement.name)
    return found


class _ItemKey(ir.Transformer):
    """Names of a run-time loop's one drawn item: its key `*` (after the static keys around the
    loop). `made`: (name, statement, keys) of the item's nodes and decisions."""

    def __init__(self, position: int, made: list[tuple[str, str, tuple[str, ...]]]):
        self.names = {name: ".".join((statement, *keys[:position], "*", *keys[position + 1:]))
                      for name, statement, keys in made}

    def name(self, name: str) -> str:
        return self.names.get(name, name)

    def visit_Ref(self, value: ir.Ref) -> ir.Value:
        return ir.Ref(self.name(value.node), value.path) if value.node in self.names else value


class _DrawnItem(ir.Transformer):
    """A test of an `if` in a run-time loop's body reading the drawn item's nodes (`d.*`); its
    loop variables stay as they are, shown by name."""

    def __init__(self, keys: tuple[str, ...]):
        self.keys = keys

    def visit_LoopRef(self, value: ir.LoopRef) -> ir.Value:
        return ir.Ref(".".join((value.statement, *self.keys, "*")), value.path)


class _Gathered(ir.Transformer):
    def __init__(self, members: dict[tuple[str, tuple[str, ...]], ir.Value]):
        self.members = members

    def visit_Gathered(self, value: ir.Gathered) -> ir.Value:
        found: ir.Value = self.members.get((value.statement, value.keys), value)
        return found


def _grouped(wf: Workflow, node_line: Callable[[Node, str], None],
             group: Callable[[Use, str], str], lines: list[str]) -> None:
    """The node lines, each used workflow's call (ir.Use) a group around its nodes, nested as
    the calls are; `group(use, indent)` opens one and gives its closing line."""
    uses = {use.prefix: use for use in wf.uses}
    open_groups: list[tuple[str, str]] = []  # (prefix, closing line), outermost first
    for node in wf.nodes:
        chain = _use_chain(node.use, uses)
        while open_groups and (len(open_groups) > len(chain) or open_groups[-1][0] != chain[len(open_groups) - 1]):
            lines.append(open_groups.pop()[1])
        for prefix in chain[len(open_groups):]:
            indent = "  " * (len(open_groups) + 1)
            closing = group(uses[prefix], indent)
            open_groups.append((prefix, closing))
        node_line(node, "  " * (len(open_groups) + 1))
    while open_groups:
        lines.append(open_groups.pop()[1])


def _use_chain(prefix: str, uses: dict[str, Use]) -> list[str]:
    """The prefixes of the calls around a node, outermost first: `r.c` is in `r`."""
    if not prefix:
        return []
    parts = prefix.split(".")
    return [p for p in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if p in uses]


def _group_label(use: Use) -> str:
    return f"{use.prefix}: {use.workflow} ({use.source})"


def _order_only(node: Node, dep: str) -> bool:
    """An edge that only orders method calls (dashed), not one data also flows along."""
    return dep in node.after and dep != node.object and all(dep not in referenced_nodes(v) for v in node.values())


def _label(node: Node) -> str:
    callee = f"{node.object}.{node.target}" if node.kind == "method" else node.target.replace(":", ".")
    return f"{node.name}\n{callee}"


def _dot_id(text: str) -> str:
    # JSON string escaping is valid DOT string escaping for quotes, backslashes and newlines.
    return json.dumps(text, ensure_ascii=False).replace("\\n", "\\n")


def _mermaid_text(text: str) -> str:
    escaped = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return escaped.replace("\n", "<br/>")
