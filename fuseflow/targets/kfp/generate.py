"""`--target kfp`: a Kubeflow Pipelines v2 pipeline spec (YAML), without the kfp SDK.

    fusec compile pipeline.fuse --target kfp -o pipeline.yaml   # check it in, review it
    fusec run pipeline.fuse --target kfp                         # run it here with kfp.local
    fusec submit pipeline.fuse --host https://kfp.example.com    # send it to a KFP endpoint

The YAML is what kfp's own compiler writes for lightweight Python components
(one task per node, one component per callable and signature, results passed
as artifacts), and a second document with the kfp-kubernetes platform spec
when options ask for Kubernetes settings. Every step runs
fuseflow.targets.kfp.step in the node's image. See docs/kfp.md.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ... import __version__
from ...codegen import escape
from ...codegen.render import render
from ...compiler.errors import CompileError, UsageError, target_error
from ...ir import Node, Workflow
from ...ir.record import replace
from ...runtime.overrides import check as check_overrides
from ...runtime.params import ParamError
from . import check as kfp_check
from . import spec as kfp_spec
from . import yaml_text as kfp_yaml
from .modules import find_modules

PACKAGE = __package__  # where this target's templates are


def generate(wf: Workflow, base_dir: str | Path | None = None) -> str:
    """The pipeline YAML. `base_dir`: where `embed_modules` are looked for first
    (default: the .fuse file's folder as recorded in the IR)."""
    return compile_pipeline(wf, base_dir)[0]


def compile_pipeline(wf: Workflow, base_dir: str | Path | None = None) -> tuple[str, kfp_spec.Names]:
    """(YAML text, the KFP names of nodes and outputs); CompileError for what KFP cannot express."""
    modules = find_modules(wf, base_dir)
    try:
        spec, platform, names = kfp_spec.build(wf, modules)
    except kfp_spec.NodeProblem as problem:
        raise node_problem(wf, problem.node, str(problem)) from None
    kfp_check.check(spec, platform)
    text = header(wf, spec) + kfp_yaml.dump(spec)
    if platform:
        text += "---\n" + kfp_yaml.dump(platform)
    return text, names


def node_problem(wf: Workflow, node: Node, problem: str) -> CompileError:
    """The error for a node whose options KFP cannot express, at the node's call."""
    return target_error(wf.source, f"node '{node.name}' cannot run on kfp: {problem}", node.span)


def header(wf: Workflow, spec: dict) -> str:
    """The comment on top: kfp's own summary of the pipeline, as kfp's compiler writes it
    (kfp's loader reads the description from its third line), then the source and
    the compiler's version."""
    root = spec["root"]
    inputs = []
    for name, definition in sorted(root["inputDefinitions"]["parameters"].items()):
        default = ""
        if "defaultValue" in definition:
            default = f" [Default: {kfp_spec.parameter_json(definition['defaultValue'])}]"
        inputs.append(f"{name}: {_TYPE_NAMES[definition['parameterType']]}{default}")
    outputs = [f"{name}: system.Artifact" for name in sorted(root.get("outputDefinitions", {}).get("artifacts", {}))]
    return render(PACKAGE, "header.yaml.j2", version=__version__, source=escape.comment(wf.source),
                  name=escape.comment(spec["pipelineInfo"]["name"]),
                  description=description_lines(spec["pipelineInfo"].get("description", "")),
                  inputs=[escape.comment(line) for line in inputs], outputs=[escape.comment(line) for line in outputs])


# kfp writes a description's later lines after this prefix, and reads them back from below it.
_DESCRIPTION_MORE = "\n#              "


def description_lines(text: str) -> str:
    """The description in kfp's comment form: its lines joined by kfp's continuation
    prefix, each escaped to one printable line (so kfp reads back what it can)."""
    return _DESCRIPTION_MORE.join(escape.comment(line) for line in text.split("\n"))


_TYPE_NAMES = {"NUMBER_INTEGER": "int", "NUMBER_DOUBLE": "float", "STRING": "str", "BOOLEAN": "bool",
               "LIST": "list", "STRUCT": "dict"}


# --- fusec run --target kfp -------------------------------------------------------


def run(wf: Workflow, fuse_path: str, settings, args) -> dict[str, Any]:
    """Compile, then run the YAML with kfp.local (SubprocessRunner(use_venv=False)):
    the steps run as subprocesses of this Python, with the .fuse file's folder on
    the import path as the image would hold the code; with `--bare`, each in a new
    virtualenv holding nothing, as on a bare image. {output name: value}."""
    from . import local as kfp_local  # deferred: the kfp.local runner, only when a run starts

    wf = with_overrides(wf, settings)
    text, names = compile_pipeline(wf, Path(fuse_path).resolve().parent)
    return kfp_local.run_yaml(text, names, wf, fuse_path, settings, bare=bool(getattr(args, "bare", False)))


def with_overrides(wf: Workflow, settings) -> Workflow:
    """`--set REGEX:KEY=VALUE` applied to the nodes' neutral options before compiling,
    checked as every target checks them (runtime.overrides.check: the checker of a
    file's options blocks); UsageError for a bad one. A callable it names is imported
    by the steps, in their image, as a file's is."""
    # a run-time loop's nodes are named once its items are known: a regex may select them only
    names = None if wf.fanouts else [node.name for node in wf.nodes]
    try:
        overrides = check_overrides(settings.overrides, names, resolve=False)
    except ParamError as exc:
        raise UsageError(str(exc)) from None
    if not overrides:
        return wf
    nodes = []
    for node in wf.nodes:
        neutral = dict(node.options.get("neutral", {}))
        for override in overrides:
            if override.applies_to(node.name):
                neutral.update(override.options)
        nodes.append(replace(node, options={**node.options, "neutral": neutral}))
    # a loop's nodes take options by their names as the file's queries give them (kfp.loops)
    queries = tuple((override.pattern.pattern, "neutral", override.options) for override in overrides)
    fanouts = tuple(replace(fanout, queries=fanout.queries + queries) for fanout in wf.fanouts)
    return replace(wf, nodes=tuple(nodes), fanouts=fanouts)
