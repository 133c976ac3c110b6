"""`--target local`: a Python module that runs the workflow with fuseflow.runtime only."""
from __future__ import annotations

from ... import __version__
from ...codegen import escape, pyexpr
from ...codegen.graph import Graph
from ...codegen.imports import Import, block, workflow_imports
from ...codegen.render import render
from ...ir import Node, Workflow

PACKAGE = __package__  # where this target's templates are


def generate(wf: Workflow) -> str:
    return render(PACKAGE, "module.py.j2", **context(wf))


def context(wf: Workflow) -> dict:
    names = pyexpr.Names(item.alias for item in wf.imports)
    rt, sys_ = names.module("rt"), names.module("sys")
    callables = pyexpr.Callables(wf)
    workflow_var = names.module("WORKFLOW")
    graph = Graph(wf, names, rt, workflow_var, callables, options)
    graph_text = graph.text()  # before the imports: they are the ones it uses
    return {
        "version": __version__,
        "source": escape.comment(wf.source),
        "name": escape.docstring(wf.name),
        "rt": rt,
        "sys": sys_,
        "workflow_var": workflow_var,
        "imports": block([Import("sys", alias=sys_), Import("fuseflow.targets.local", "runtime", rt),
                          *workflow_imports(wf, callables.used)]),
        "graph": graph_text,
    }


def options(node: Node) -> list[tuple[str, pyexpr.Piece]]:
    """options={the neutral options}, when there are any."""
    return pyexpr.option_keywords({"options": node.options.get("neutral")})

