"""`--target local`: a Python module that runs the workflow with fuseflow's runtime alone."""
from __future__ import annotations

from ..base import Target
from . import generate as generator


class LocalTarget(Target):
    name = "local"
    summary = "a Python module that runs the workflow here, with fuseflow's runtime alone"
    runnable = True

    def generate(self, wf, base_dir=None) -> str:
        return generator.generate(wf)

    def run(self, wf, fuse_path, settings, args):
        return generator.run(wf, fuse_path, settings, args)


TARGET = LocalTarget
