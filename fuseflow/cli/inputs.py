"""What the commands read (a .fuse file, to IR, with its warnings printed) and write (an artifact)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..compiler import files
from ..compiler.errors import UsageError


def load(path: str, defines: list[str] | None = None, imports: bool = False):
    """Compile a file to IR (compiler.files.load), printing its warnings; CompileError
    on errors, UsageError for a bad -D, UnreadableInput for a file that cannot be read."""
    workflow, warnings = files.load(path, files.define_values(defines), imports)
    sys.stderr.write(warnings)
    return workflow


def check_imports(path: str, defines: list[str] | None) -> None:
    """CompileError if the file's imports or calls do not resolve (warnings were printed already)."""
    files.with_imports(path, files.read(path), files.define_values(defines))


def write(text: str, output: str) -> None:
    """Write an artifact (its folder made if need be); UsageError when it cannot be written."""
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
