"""`--target local`: a Python module that runs the workflow with fuseflow's runtime alone."""
from __future__ import annotations

from pathlib import Path

from ..base import Target


class LocalTarget(Target):
    name = "local"
    summary = "a Python module that runs the workflow here, with fuseflow's runtime alone"
    runnable = True
    writes_run_time_loops = True  # a generator function per loop (codegen.fanout)
    runs_run_time_loops = True  # the engine itself (runtime.fanout)
    writes_finally = True  # final_nodes(), the module's `finally=` (codegen.graph)
    runs_finally = True  # the engine itself (runtime.execute)
    writes_conditions = True  # rt.decision(...)s the engine makes (codegen.graph)
    runs_conditions = True  # the engine itself (runtime.stages)
    writes_item_conditions = True  # rt.decision(...)s yielded with each item's nodes (codegen.fanout)
    runs_item_conditions = True  # the decisions an item makes join the stages (runtime.fanout)
    writes_loops_in_branches = True  # rt.fanout(..., when=[(decision, branch)])
    runs_loops_in_branches = True  # expanded once the branch is taken (runtime.conditions)
    writes_conditions_in_inner_loops = True  # rt.decision(...) in the static loop's body
    runs_conditions_in_inner_loops = True  # made per item and iteration (ir.fanout.iteration_decisions)

    def generate(self, wf, base_dir=None) -> str:
        from . import generate as generator  # deferred: Jinja2 and the templates, for compile only

        return generator.generate(wf)

    def run(self, wf, fuse_path, settings, args):
        """The IR, bound to its callables, run by the engine in this process."""
        from ...runtime import execute  # deferred: compile and check start without the engine
        from ...runtime.bind import bind, import_path

        with import_path(Path(fuse_path).resolve().parent):
            return execute.run(bind(wf, fuse_path), {}, settings)


TARGET = LocalTarget
