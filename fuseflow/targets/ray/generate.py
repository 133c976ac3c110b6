"""`--target ray`: a Python module that runs the workflow on Ray.

Each node line carries what Ray's `.options(...)` gets for it (`ray={...}`:
neutral resources and retries mapped to Ray's names, plus the node's
`options ray` entry) and what the runtime does on the worker (`options={...}`:
seed, setup, timeout, ...), split by `fuseflow.targets.ray.options`, the same
code that splits run-time overrides. This module never imports Ray; the
generated code does.
"""
from __future__ import annotations

from ... import __version__
from ...codegen import escape, pyexpr
from ...codegen.graph import Graph
from ...codegen.imports import Import, block, workflow_imports
from ...codegen.render import render
from ...ir import Node, Workflow
from . import options as ray_options

PACKAGE = __package__  # where this target's templates are


def generate(wf: Workflow) -> str:
    return render(PACKAGE, "module.py.j2", **context(wf))


def context(wf: Workflow) -> dict:
    names = pyexpr.Names(item.alias for item in wf.imports)
    rt, sys_ = names.module("rt"), names.module("sys")
    callables = pyexpr.Callables(wf)
    workflow_var = names.module("WORKFLOW")
    settings = [(key, pyexpr.literal_piece(value)) for key, value in sorted(wf.workflow_options.get("ray", {}).items())]
    graph = Graph(wf, names, rt, workflow_var, callables, node_keywords, settings)
    graph_text = graph.text()  # before the imports: they are the ones it uses
    return {
        "version": __version__,
        "source": escape.comment(wf.source),
        "name": escape.docstring(wf.name),
        "rt": rt,
        "sys": sys_,
        "workflow_var": workflow_var,
        "imports": block([Import("sys", alias=sys_), Import("fuseflow.targets.ray", "backend", rt),
                          *workflow_imports(wf, callables.used)]),
        "graph": graph_text,
    }


def node_keywords(node: Node) -> list[tuple[str, pyexpr.Piece]]:
    """options={worker}, ray={.options keywords}: each when not empty."""
    worker, ray = ray_options.split(node.kind, node.options.get("neutral", {}), node.options.get("ray", {}))
    return pyexpr.option_keywords({"options": worker, "ray": ray})
