"""A generated Python module loaded in memory, as if it were a file beside the .fuse:
how tests and benchmarks hold an artifact up against the runtime (fusec itself
runs the IR: fuseflow.runtime.bind). Its imports see the .fuse file's folder,
then the working directory (runtime.bind.import_path).
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

from ..runtime.bind import import_path


class ModuleLoadFailed(Exception):
    """Running the generated module's top level raised: most often the workflow's
    own modules failed to import (`__cause__` says why), which is the user's to fix."""

    def __init__(self, fuse_path: str | Path):
        super().__init__(f"loading the workflow of {fuse_path} failed")
        self.fuse_path = str(fuse_path)


def load_generated(text: str, fuse_path: str | Path, name: str = "__fuseflow_workflow__") -> types.ModuleType:
    """Execute generated module text; its __file__ is the .fuse file, so relative
    storage resolves beside it. ModuleLoadFailed if that raises."""
    module = types.ModuleType(name)
    module.__file__ = str(Path(fuse_path).resolve())
    code = compile(text, f"<fusec: {Path(fuse_path).name}>", "exec")
    with import_path(Path(fuse_path).resolve().parent):
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        except Exception as exc:
            raise ModuleLoadFailed(fuse_path) from exc
        finally:
            sys.modules.pop(name, None)
    return module
