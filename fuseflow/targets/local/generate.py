"""`--target local`: a Python module that runs the workflow with fuseflow.runtime only."""
from __future__ import annotations

from ...codegen import pyexpr
from ...codegen.graph import module_context
from ...codegen.render import render
from ...ir import Node, Workflow

PACKAGE = __package__  # where this target's templates are


def generate(wf: Workflow) -> str:
    return render(PACKAGE, "module.py.j2", **context(wf))


def context(wf: Workflow) -> dict[str, object]:
    return module_context(wf, ("fuseflow.targets.local", "runtime"), options)


def options(node: Node) -> list[tuple[str, pyexpr.Piece]]:
    """options={the neutral options}, when there are any."""
    return pyexpr.option_keywords({"options": node.options.get("neutral")})

