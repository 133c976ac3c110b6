"""How a .fuse file is named in what fusec writes: a path that is the same on every machine."""
from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as recorded in artifacts: relative to the working directory when
    the file is under it, so output is the same on every machine."""
    path = Path(path)
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return unicode_path(path.name if path.is_absolute() else path.as_posix())
    return unicode_path(relative.as_posix())


def unicode_path(path: str) -> str:
    """`path` as text every artifact can hold: a byte of a file name that is not UTF-8
    (a lone surrogate in Python's str, which UTF-8 cannot encode) as `\\udcff`."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")
