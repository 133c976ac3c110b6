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
from ...codegen.render import render
from ...ir import Node, Workflow
from . import options as ray_options

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
        "settings": sorted(wf.workflow_options.get("ray", {}).items()),
    }


def node_line(node: Node, rt: str, callables: pyexpr.Callables) -> str:
    """rt.call("name", fn, [args], {kwargs}, options={worker}, ray={.options keywords})."""
    worker, ray = ray_options.split(node.kind, node.options.get("neutral", {}), node.options.get("ray", {}))
    return pyexpr.node_line(node, rt, callables, {"options": worker, "ray": ray})
