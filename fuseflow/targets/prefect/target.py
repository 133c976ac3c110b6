"""`--target prefect`: a Prefect 3 flow file, one task run per node, deployable as it is."""
from __future__ import annotations

from pathlib import Path

from ..base import Applied, Target, neutral_rest
from . import generate as generator


class PrefectTarget(Target):
    name = "prefect"
    summary = "a Prefect 3 flow file (one task run per node), deployable as it is"
    runnable = True
    # the flow body expands each once what it iterates is known (backend.FlowRun.expand)
    writes_run_time_loops = runs_run_time_loops = True
    # the flow body decides each when it reaches it, the nodes of branches not taken Skipped (FlowRun.decide)
    writes_conditions = runs_conditions = True
    writes_item_conditions = runs_item_conditions = True  # per item: run.decide(f"if-1.{x_key}"), a Python `if`
    writes_loops_in_branches = runs_loops_in_branches = True  # the loop inside the Python `if`
    # the `if` in the static loop's Python body: run.decide(f"if-2.{x_key}.{k}")
    writes_conditions_in_inner_loops = runs_conditions_in_inner_loops = True
    # the flow body's try/finally: its nodes after the rest, whatever it did (FlowRun.closing)
    writes_finally = runs_finally = True

    def generate(self, wf, base_dir=None) -> str:
        return generator.generate(wf)

    def run(self, wf, fuse_path, settings, args):
        """The flow the generated file would define, built from the IR in memory, run once."""
        from ...runtime.bind import bind, import_path  # deferred: compile and check start without the engine
        from . import backend, flow  # import Prefect: an optional backend, needed only to run

        with import_path(Path(fuse_path).resolve().parent):
            made = flow.Made()
            graph = bind(wf, fuse_path, made)
            return backend.run_flow(flow.build(wf, graph, made.nodes), graph, settings)

    def add_commands(self, subparsers) -> None:
        from . import deploy  # `fusec deploy`: its parser only; Prefect loads when a workflow is deployed

        deploy.add_parser(subparsers)

    def applied(self, node, wf) -> Applied:
        """The task's options, as `.with_options(...)` (and @task, for version) get them."""
        return Applied("prefect", generator.task_options(wf, node), *neutral_rest("prefect", node))


TARGET = PrefectTarget
