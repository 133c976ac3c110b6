"""`--target kfp`: a Kubeflow Pipelines v2 pipeline spec (YAML), written without the kfp SDK."""
from __future__ import annotations

from ..base import Applied, Target, neutral_rest
from . import generate as generator
from . import options as kfp_options


class KfpTarget(Target):
    name = "kfp"
    summary = "a Kubeflow Pipelines v2 pipeline YAML (kfp.local runs it here)"
    runnable = True
    writes_run_time_loops = True  # a dsl.ParallelFor over the items a small step hands out (kfp.loops)
    runs_run_time_loops = True
    # a dsl.If/Elif/Else group on what a small step decides, dsl.OneOf after it (kfp.conditions)
    writes_conditions = runs_conditions = True
    # an `if` inside a run-time loop: the same in the loop's sub-DAG, a pick task collected after it
    writes_item_conditions = runs_item_conditions = True
    # a run-time loop inside an `if` branch: its items and loop tasks in the branch's sub-DAG (kfp.parallel_for)
    writes_loops_in_branches = runs_loops_in_branches = True
    # dsl.ExitHandler around the rest, the calls exit tasks reading its PipelineTaskFinalStatus
    writes_finally = runs_finally = True
    # a name assigned through the `if` of a branch: a pick task in that branch, a member of the outer dsl.OneOf
    writes_nested_choices = True
    # an `if` inside a static loop inside a run-time loop: the static loop unrolled in the loop's sub-DAG
    # (kfp.loops), one group per iteration decided per item (`if-1.*.0`, `if-1.*.1`)
    writes_conditions_in_inner_loops = runs_conditions_in_inner_loops = True

    def generate(self, wf, base_dir=None) -> str:
        return generator.generate(wf, base_dir)

    def run(self, wf, fuse_path, settings, args):
        return generator.run(wf, fuse_path, settings, args)

    def add_run_arguments(self, parser) -> None:
        parser.add_argument("--bare", action="store_true",
                            help="kfp: run each step in a new virtualenv holding nothing, in an empty folder, as on "
                                 "a bare python image: fuseflow comes from the runtime_package option, your modules "
                                 "from embed_modules or packages")

    def add_commands(self, subparsers) -> None:
        from . import image, submit  # `fusec submit` and `fusec image`: parsers only; their work loads when run

        submit.add_parser(subparsers)
        image.add_parser(subparsers)

    def applied(self, node, wf) -> Applied:
        """The step's KFP options (the workflow's defaults, then the node's) and what the step does itself."""
        try:
            own = kfp_options.node_options(node, wf)
        except kfp_options.OptionProblem as problem:
            raise generator.node_problem(wf, node, str(problem)) from None
        _, ignored, reasons = neutral_rest("kfp", node)
        return Applied("kfp", own, kfp_options.step_options(node.options.get("neutral", {})), ignored, reasons)


TARGET = KfpTarget
