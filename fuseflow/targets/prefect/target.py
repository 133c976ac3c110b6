"""`--target prefect`: a Prefect 3 flow file, one task run per node, deployable as it is."""
from __future__ import annotations

from ..base import Applied, Target, neutral_rest
from . import generate as generator


class PrefectTarget(Target):
    name = "prefect"
    summary = "a Prefect 3 flow file (one task run per node), deployable as it is"
    runnable = True

    def generate(self, wf, base_dir=None) -> str:
        return generator.generate(wf)

    def run(self, wf, fuse_path, settings, args):
        return generator.run(wf, fuse_path, settings, args)

    def applied(self, node, wf) -> Applied:
        """The task's options, as `.with_options(...)` (and @task, for version) get them."""
        return Applied("prefect", generator.task_options(wf, node), *neutral_rest("prefect", node))


TARGET = PrefectTarget
