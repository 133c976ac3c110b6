"""Running generated Python in memory (`fusec run`, `explain`, `storage gc`),
as if it were a file beside the .fuse.

While the workflow runs, the .fuse file's folder and then the working
directory are first on sys.path, so `from ops import add` finds ops.py next
to the workflow, or in the folder `fusec` runs from: where `fusec check
--imports` looks, and where KFP's `embed_modules` takes modules from.
"""
from __future__ import annotations

import contextlib
import os
import sys
import types
from pathlib import Path
from typing import Iterator


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


@contextlib.contextmanager
def import_path(directory: str | Path) -> Iterator[None]:
    """``directory`` (the .fuse file's folder), then the working directory, first on sys.path."""
    entries = list(dict.fromkeys([str(Path(directory).resolve()), os.getcwd()]))
    sys.path[:0] = entries
    try:
        yield
    finally:
        for entry in entries:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)
