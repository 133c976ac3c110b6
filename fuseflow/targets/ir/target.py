"""`--target ir`: the intermediate DAG as JSON, for tools and debugging (docs/ir.md)."""
from __future__ import annotations

from ...ir import Workflow
from ..base import Target


class IrTarget(Target):
    name = "ir"
    summary = "the intermediate DAG as JSON"
    writes_run_time_loops = True  # the IR is where they are written down (Workflow.fanouts)
    writes_finally = True
    writes_conditions = writes_item_conditions = writes_loops_in_branches = True
    writes_conditions_in_inner_loops = True

    def generate(self, wf: Workflow, base_dir=None) -> str:
        return wf.to_json()


TARGET = IrTarget
