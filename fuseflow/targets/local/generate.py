"""`--target local`: a Python module that runs the workflow with fuseflow.runtime only."""
from __future__ import annotations

from ... import __version__
from ...codegen import escape, pyexpr
from ...codegen.render import render
from ...ir import Workflow

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
        "nodes": [pyexpr.node_line(node, rt, callables) for node in wf.nodes],
        "outputs": [(o.name, pyexpr.value(o.value, rt, callables)) for o in wf.outputs],
    }
