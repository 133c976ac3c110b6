"""The DAG as Graphviz DOT or Mermaid text (functionfuse's GraphWorkflow).

Labels come from the file (node names, callables), so they are escaped for
each format: a name can never become markup.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from ..ir import Node, Use, Workflow, referenced_nodes


def to_dot(wf: Workflow) -> str:
    lines = [f"digraph {_dot_id(wf.name)} {{", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];']

    def node_line(node: Node, indent: str) -> None:
        shape = ", shape=box3d" if node.kind == "object" else ""
        lines.append(f"{indent}{_dot_id(node.name)} [label={_dot_id(_label(node))}{shape}];")

    def group(use: Use, indent: str) -> str:
        lines.append(f"{indent}subgraph {_dot_id('cluster_' + use.prefix)} {{")
        lines.append(f"{indent}  label={_dot_id(_group_label(use))};")
        return f"{indent}}}"

    _grouped(wf, node_line, group, lines)
    for node in wf.nodes:
        for dep in node.dependencies():
            style = " [style=dashed]" if _order_only(node, dep) else ""
            lines.append(f"  {_dot_id(dep)} -> {_dot_id(node.name)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(wf: Workflow) -> str:
    ids = {node.name: f"n{i}" for i, node in enumerate(wf.nodes)}
    lines = ["flowchart TD"]

    def node_line(node: Node, indent: str) -> None:
        lines.append(f'{indent}{ids[node.name]}["{_mermaid_text(_label(node))}"]')

    def group(use: Use, indent: str) -> str:
        lines.append(f'{indent}subgraph u{wf.uses.index(use)}["{_mermaid_text(_group_label(use))}"]')
        return f"{indent}end"

    _grouped(wf, node_line, group, lines)
    for node in wf.nodes:
        for dep in node.dependencies():
            arrow = "-.->" if _order_only(node, dep) else "-->"
            lines.append(f"  {ids[dep]} {arrow} {ids[node.name]}")
    return "\n".join(lines) + "\n"


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
