"""What the commands read (a .fuse file, to IR, with its warnings printed) and write (an artifact)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..compiler import files
from ..compiler.errors import UsageError

if TYPE_CHECKING:
    from ..runtime.graph import Workflow
    from ..runtime.prepare import RunSettings


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


def expanded_as_stored(wf: Workflow, settings: RunSettings) -> Workflow:
    """`wf` with the run-time loops expanded whose items are stored (under the keys they have now),
    and the decisions made whose tests read stored results, for what runs nothing (`fusec
    explain`, `storage gc`); the others are left as they are."""
    if not wf.fanouts and not wf.decisions:
        return wf
    # deferred: the engine, for explain and gc of a file with run-time loops or `if`s only
    from ..runtime.params import resolve as resolve_params
    from ..runtime.prepare import prepare
    from ..runtime.stages import as_stored

    values = resolve_params(wf.params, {}, settings.param_texts)
    return as_stored(wf, values, lambda part: prepare(part, {}, settings, warn_shared=False, part=True))
