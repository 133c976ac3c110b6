"""`--target ray`: a Python module that runs the workflow on Ray, tasks and actors."""
from __future__ import annotations

from pathlib import Path

from ...schemas import NEUTRAL_IGNORED
from ..base import Applied, Target
from . import generate as generator
from . import options as ray_options


class RayTarget(Target):
    name = "ray"
    summary = "a Python module that runs the workflow on Ray (tasks and actors)"
    runnable = True
    writes_run_time_loops = True  # a generator function per loop (codegen.fanout), as the local module's
    runs_run_time_loops = True  # in stages, one task per item (backend.run, runtime.fanout)
    writes_finally = runs_finally = True  # the engine's with_finally around the Ray run (backend.run)
    writes_conditions = True  # rt.decision(...)s, made in stages by backend.run, as fusec run makes them
    runs_conditions = True  # in stages: what the tests read runs first, then the branch taken (runtime.stages)
    writes_item_conditions = True  # rt.decision(...)s yielded with each item's nodes (codegen.fanout)
    runs_item_conditions = True  # the decisions an item makes join the stages (runtime.fanout)
    writes_loops_in_branches = True  # rt.fanout(..., when=[(decision, branch)])
    runs_loops_in_branches = True  # expanded once the branch is taken (runtime.conditions)
    writes_conditions_in_inner_loops = True  # rt.decision(...) in the static loop's body
    runs_conditions_in_inner_loops = True  # made per item and iteration (ir.fanout.iteration_decisions)

    def generate(self, wf, base_dir=None) -> str:
        return generator.generate(wf)

    def run(self, wf, fuse_path, settings, args):
        """The IR, bound to its callables, run by the Ray driver."""
        from ...runtime.bind import bind, import_path  # deferred: compile and check start without the engine
        from . import backend  # imports Ray: an optional backend, needed only to run

        with import_path(Path(fuse_path).resolve().parent):  # workers: Ray adds the cwd, init_arguments the folder
            return backend.run_command(bind(wf, fuse_path, backend.Builders()), settings, args)

    def add_run_arguments(self, parser) -> None:
        parser.add_argument("--address", metavar="ADDR", help="ray: the cluster to join (auto, HOST:PORT, "
                                                              "ray://HOST:10001); default: start a local Ray")
        parser.add_argument("--max-pending", type=int, metavar="N", help="ray: at most N tasks in flight")

    def add_commands(self, subparsers) -> None:
        from . import jobs, submit  # `fusec submit --target ray` and `fusec jobs`: parsers only; Ray loads when run

        submit.add_parser(subparsers)
        jobs.add_parser(subparsers)

    def applied(self, node, wf) -> Applied:
        """Ray's .options() keywords and the worker's options, as the generated module gets them."""
        neutral, own = node.options.get("neutral", {}), node.options.get("ray", {})
        worker, ray = ray_options.split(node.kind, neutral, own)
        nothing = ({}, {})  # what a key that has no effect comes to on its own
        ignored = {k: v for k, v in neutral.items() if ray_options.split(node.kind, {k: v}, {}) == nothing}
        ignored.update({k: v for k, v in own.items() if ray_options.split(node.kind, {}, {k: v}) == nothing})
        return Applied("ray", ray, worker, ignored, {key: _reason(node.kind, key) for key in ignored})


def _reason(kind: str, key: str) -> str:
    if kind == "method":
        return "a method call runs in its object's actor, which takes the Ray options: set them on the object node"
    if key in ray_options.ACTOR_ONLY:
        return "Ray takes it for object nodes (actors) only"
    if key in ray_options.TASK_ONLY:
        return "Ray takes it for plain calls (tasks) only, not for object nodes (actors)"
    return NEUTRAL_IGNORED["ray"].get(key, f"Ray does not use it for a node of kind {kind}")


TARGET = RayTarget
