"""What a target makes of a node's options, for `fusec nodes --target T`.

A node's IR options keep the neutral block and each target block apart; each
target maps the neutral keys to its own names and lets its own block win. The
listing asks each target's own code for the result (Ray's split in
fuseflow.runtime.ray_options, Prefect's task_options, KFP's node_options), so
it shows what the generated code applies, never a second opinion:

    >>> applied("ray", node, wf).as_dict()      # neutral cpus: 2, retry_delay: 5; ray num_cpus: 4
    {'ray': {'num_cpus': 4}, 'ignored': {'retry_delay': 5.0}}

`own` is in the target's own names (local has none: fuseflow's runtime is
the whole of it); `runtime` holds the neutral options that
fuseflow's runtime carries out on the worker (seed, setup, ...); `ignored`
the options that have no effect on that target for that node, with `reasons`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ...runtime import ray_options
from ...ir import Node, Workflow
from ...schemas import NEUTRAL_IGNORED, NEUTRAL_RUNTIME

@dataclass(frozen=True)
class Applied:
    target: str
    own: dict[str, Any] = field(default_factory=dict)
    runtime: dict[str, Any] = field(default_factory=dict)
    ignored: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # ignored key -> why

    def as_dict(self) -> dict[str, dict]:
        """{target: own, "runtime": ..., "ignored": ...}, without the empty ones."""
        parts = ((self.target, self.own), ("runtime", self.runtime), ("ignored", self.ignored))
        return {name: dict(sorted(part.items())) for name, part in parts if part}


def applied(target: str, node: Node, wf: Workflow) -> Applied:
    """What `target` applies of the node's options; CompileError where the target's
    own compiler would stop (an option it cannot express)."""
    return _BY_TARGET[target](node, wf)


def _local(node: Node, wf: Workflow) -> Applied:
    """A local run: the runtime does what it can of the neutral options, in the calling process."""
    return Applied("local", {}, *_neutral_rest("local", node))


def _ray(node: Node, wf: Workflow) -> Applied:
    """Ray's .options() keywords and the worker's options, as the generated module gets them."""
    neutral, own = node.options.get("neutral", {}), node.options.get("ray", {})
    worker, ray = ray_options.split(node.kind, neutral, own)
    nothing = ({}, {})  # what a key that has no effect comes to on its own
    ignored = {k: v for k, v in neutral.items() if ray_options.split(node.kind, {k: v}, {}) == nothing}
    ignored.update({k: v for k, v in own.items() if ray_options.split(node.kind, {}, {k: v}) == nothing})
    return Applied("ray", ray, worker, ignored, {key: _ray_reason(node.kind, key) for key in ignored})


def _ray_reason(kind: str, key: str) -> str:
    if kind == "method":
        return "a method call runs in its object's actor, which takes the Ray options: set them on the object node"
    if key in ray_options.ACTOR_ONLY:
        return "Ray takes it for object nodes (actors) only"
    if key in ray_options.TASK_ONLY:
        return "Ray takes it for plain calls (tasks) only, not for object nodes (actors)"
    return NEUTRAL_IGNORED["ray"].get(key, f"Ray does not use it for a node of kind {kind}")


def _prefect(node: Node, wf: Workflow) -> Applied:
    """The task's options, as `.with_options(...)` (and @task, for version) get them."""
    from .prefect_target import task_options

    return Applied("prefect", task_options(wf, node), *_neutral_rest("prefect", node))


def _kfp(node: Node, wf: Workflow) -> Applied:
    """The step's KFP options (the workflow's defaults, then the node's) and what the step does itself."""
    from . import kfp_options

    try:
        own = kfp_options.node_options(node, wf)
    except kfp_options.OptionProblem as problem:
        from .kfp_target import node_problem

        raise node_problem(wf, node, str(problem)) from None
    _, ignored, reasons = _neutral_rest("kfp", node)
    return Applied("kfp", own, kfp_options.step_options(node.options.get("neutral", {})), ignored, reasons)


def _neutral_rest(target: str, node: Node) -> tuple[dict, dict, dict[str, str]]:
    """(runtime, ignored, reasons): the neutral options the target does not map, by
    schemas.mapping (a test holds the runtimes to it)."""
    neutral = node.options.get("neutral", {})
    runtime = {k: v for k, v in neutral.items() if k in NEUTRAL_RUNTIME[target]}
    ignored = {k: v for k, v in neutral.items() if k in NEUTRAL_IGNORED[target]}
    return runtime, ignored, {k: NEUTRAL_IGNORED[target][k] for k in ignored}


_BY_TARGET: dict[str, Callable[[Node, Workflow], Applied]] = {"local": _local, "ray": _ray, "prefect": _prefect,
                                                               "kfp": _kfp}
