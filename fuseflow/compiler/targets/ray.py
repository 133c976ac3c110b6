"""`--target ray`: a Python module that runs the workflow on Ray.

Each node line carries what Ray's `.options(...)` gets for it (`ray={...}`:
neutral resources and retries mapped to Ray's names, plus the node's
`options ray` entry) and what the runtime does on the worker (`options={...}`:
seed, setup, timeout, ...), split by `fuseflow.runtime.ray_options`, the same
code that splits run-time overrides. This module never imports Ray; the
generated code does.
"""
from __future__ import annotations

from ... import __version__
from ...runtime import ray_options
from ...ir import Node, Workflow
from . import escape, pyexpr


def generate(wf: Workflow) -> str:
    from .render import render  # Jinja2 only when generating, not for `fusec run --help`

    return render("ray/module.py.j2", **context(wf))


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
    parts = [pyexpr.literal(node.name)]
    if node.kind == "method":
        parts += [pyexpr.literal(node.object), pyexpr.literal(node.target)]
    else:
        parts.append(callables.expression(node.target))
    parts.append("[" + ", ".join(pyexpr.value(a, rt, callables) for a in node.args) + "]")
    if node.kwargs:
        parts.append("{" + ", ".join(f"{pyexpr.literal(k)}: {pyexpr.value(v, rt, callables)}" for k, v in node.kwargs) + "}")
    worker, ray = ray_options.split(node.kind, node.options.get("neutral", {}), node.options.get("ray", {}))
    if worker:
        parts.append(f"options={pyexpr.literal(worker)}")
    if ray:
        parts.append(f"ray={pyexpr.literal(ray)}")
    builder = {"call": "call", "object": "obj", "method": "method"}[node.kind]
    return f"{rt}.{builder}({', '.join(parts)})"


def add_run_arguments(parser) -> None:
    """`fusec run` flags of this target."""
    parser.add_argument("--address", metavar="ADDR",
                        help="ray: the cluster to join (auto, HOST:PORT, ray://HOST:10001); default: start a local Ray")
    parser.add_argument("--max-pending", type=int, metavar="N", help="ray: at most N tasks in flight")


def run(wf: Workflow, fuse_path: str, settings, args) -> dict:
    """`fusec run --target ray`: generate the module, load it in memory, run it on Ray."""
    from pathlib import Path

    from ...runtime import ray_backend
    from .loader import import_path, load_generated

    ctx = context(wf)
    module = load_generated(generate(wf), fuse_path)
    with import_path(Path(fuse_path).resolve().parent):  # workers: Ray adds the cwd, init_arguments the folder
        return ray_backend.run_command(getattr(module, ctx["workflow_var"]), settings, args)
