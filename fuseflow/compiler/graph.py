"""The DAG as Graphviz DOT or Mermaid text (functionfuse's GraphWorkflow).

Labels come from the file (node names, callables), so they are escaped for
each format: a name can never become markup.
"""
from __future__ import annotations

import json

from ..ir import Node, Workflow, referenced_nodes


def to_dot(wf: Workflow) -> str:
    lines = [f"digraph {_dot_id(wf.name)} {{", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];']
    for node in wf.nodes:
        shape = ", shape=box3d" if node.kind == "object" else ""
        lines.append(f"  {_dot_id(node.name)} [label={_dot_id(_label(node))}{shape}];")
    for node in wf.nodes:
        for dep in node.dependencies():
            style = " [style=dashed]" if _order_only(node, dep) else ""
            lines.append(f"  {_dot_id(dep)} -> {_dot_id(node.name)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(wf: Workflow) -> str:
    ids = {node.name: f"n{i}" for i, node in enumerate(wf.nodes)}
    lines = ["flowchart TD"]
    for node in wf.nodes:
        lines.append(f'  {ids[node.name]}["{_mermaid_text(_label(node))}"]')
    for node in wf.nodes:
        for dep in node.dependencies():
            arrow = "-.->" if _order_only(node, dep) else "-->"
            lines.append(f"  {ids[dep]} {arrow} {ids[node.name]}")
    return "\n".join(lines) + "\n"


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
