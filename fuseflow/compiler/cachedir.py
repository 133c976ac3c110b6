"""The folder where fusec keeps what it worked out before: the analysed grammar
(tables.py) and compiled IR (cache.py), both pickles.

`$XDG_CACHE_HOME/fuseflow`, else `~/.cache/fuseflow`; made private (mode 700),
and used only when it belongs to this user and no one else may write to it,
since loading a pickle runs code its writer chose. Without it (no home, a
read-only disk, a folder others may write) fusec works the same, only slower
to start. Deleting it is always safe.
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_folder() -> Path | None:
    """The folder for the cache, made if need be; None where it is not this user's alone."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    folder = Path(base) / "fuseflow"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        return None
    return folder
