"""`--target ray`: a Python module that runs the workflow on Ray.

Each node line carries what Ray's `.options(...)` gets for it (`ray={...}`:
neutral resources and retries mapped to Ray's names, plus the node's
`options ray` entry) and what the runtime does on the worker (`options={...}`:
seed, setup, timeout, ...), split by `fuseflow.targets.ray.options`, the same
code that splits run-time overrides. This module never imports Ray; the
generated code does.
"""
from __future__ import annotations

from ...codegen import pyexpr
from ...codegen.graph import module_context
from ...codegen.render import render
from ...ir import Node, Workflow
from . import options as ray_options

PACKAGE = __package__  # where this target's templates are


def generate(wf: Workflow) -> str:
    return render(PACKAGE, "module.py.j2", **context(wf))


def context(wf: Workflow) -> dict[str, object]:
    settings = [(key, pyexpr.literal_piece(value)) for key, value in sorted(wf.workflow_options.get("ray", {}).items())]
    return module_context(wf, ("fuseflow.targets.ray", "backend"), node_keywords, settings,
                          query_targets=("neutral", "ray"))


def node_keywords(node: Node) -> list[tuple[str, pyexpr.Piece]]:
    """options={worker}, ray={.options keywords}: each when not empty."""
    worker, ray = ray_options.split(node.kind, node.options.get("neutral", {}), node.options.get("ray", {}))
    return pyexpr.option_keywords({"options": worker, "ray": ray})
