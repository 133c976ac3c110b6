"""`fusec`: a thin shell over the compiler's and the runtime's functions.

Exit status: 0 fine (warnings allowed), 1 the input has errors (or a node
failed), 2 usage error (or a backend not installed), 70 internal error (a bug
in fusec: `--debug` shows its traceback); `run`: 130 interrupted, 141 the
reader of stdout went away. A mistake in a .fuse file is printed as
`file:line:col: message` with the source line and a caret, never as a traceback.

The commands live in commands.py (explain.py, storage.py); `main` answers
`fusec --version` before importing them, as cheaply as Python starts.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

from .. import __version__


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        print(f"fusec {__version__}")
        return 0
    from .commands import main as run_command  # the whole command line: parser, compiler, runtime

    return run_command(args)
