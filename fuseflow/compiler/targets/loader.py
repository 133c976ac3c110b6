"""Running generated Python in memory (`fusec run`), as if it were a file beside the .fuse.

The .fuse file's directory is on sys.path while the workflow runs, as a
script's directory is for `python script.py`, so `from ops import add` finds
ops.py next to the workflow.
"""
from __future__ import annotations

import contextlib
import sys
import types
from pathlib import Path
from typing import Iterator


def load_generated(text: str, fuse_path: str | Path, name: str = "__fuseflow_workflow__") -> types.ModuleType:
    """Execute generated module text; its __file__ is the .fuse file, so relative
    storage resolves beside it."""
    module = types.ModuleType(name)
    module.__file__ = str(Path(fuse_path).resolve())
    code = compile(text, f"<fusec: {Path(fuse_path).name}>", "exec")
    with import_path(Path(fuse_path).resolve().parent):
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        finally:
            sys.modules.pop(name, None)
    return module


@contextlib.contextmanager
def import_path(directory: Path) -> Iterator[None]:
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)
