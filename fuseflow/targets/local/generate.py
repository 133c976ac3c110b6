"""`--target local`: a Python module that runs the workflow with fuseflow.runtime only."""
from __future__ import annotations

from ... import __version__
from ...ir import Node, Workflow
from ...codegen import escape, pyexpr
from ...codegen.render import render

PACKAGE = __package__  # where this target's templates are


def generate(wf: Workflow) -> str:
    return render(PACKAGE, "module.py.j2", **context(wf))


def context(wf: Workflow) -> dict:
    taken = {item.alias for item in wf.imports}
    rt = pyexpr.unique_name("rt", taken)
    callables = pyexpr.Callables(wf)
    return {
        "wf": wf,
        "version": __version__,
        "source": escape.comment(wf.source),
        "name": escape.docstring(wf.name),
        "rt": rt,
        "workflow_var": pyexpr.unique_name("WORKFLOW", taken),
        "imports": pyexpr.import_lines(wf.imports),
        "literal": pyexpr.literal,
        "nodes": [node_line(node, rt, callables) for node in wf.nodes],
        "outputs": [(o.name, pyexpr.value(o.value, rt, callables)) for o in wf.outputs],
    }


def node_line(node: Node, rt: str, callables: pyexpr.Callables) -> str:
    """One line per node: rt.call("name", fn, [args], {kwargs}, options={...})."""
    args = "[" + ", ".join(pyexpr.value(a, rt, callables) for a in node.args) + "]"
    parts = [pyexpr.literal(node.name)]
    if node.kind == "method":
        parts += [pyexpr.literal(node.object), pyexpr.literal(node.target)]
    else:
        parts.append(callables.expression(node.target))
    parts.append(args)
    if node.kwargs:
        parts.append("{" + ", ".join(f"{pyexpr.literal(k)}: {pyexpr.value(v, rt, callables)}" for k, v in node.kwargs) + "}")
    options = node.options.get("neutral")
    if options:
        parts.append(f"options={pyexpr.literal(options)}")
    builder = {"call": "call", "object": "obj", "method": "method"}[node.kind]
    return f"{rt}.{builder}({', '.join(parts)})"
