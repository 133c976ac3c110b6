"""What the commands read: a .fuse file, to IR, with its warnings printed."""
from __future__ import annotations

import sys

from ..compiler import files


def load(path: str, defines: list[str] | None = None, imports: bool = False):
    """Compile a file to IR (compiler.files.load), printing its warnings; CompileError
    on errors, UsageError for a bad -D, UnreadableInput for a file that cannot be read."""
    workflow, warnings = files.load(path, files.define_values(defines), imports)
    sys.stderr.write(warnings)
    return workflow


def check_imports(path: str, defines: list[str] | None) -> None:
    """CompileError if the file's imports or calls do not resolve (warnings were printed already)."""
    files.with_imports(path, files.read(path), files.define_values(defines))
