"""Source markers: which .fuse files wrote results of a workflow, one small object each.

    <workflow>/.sources/<hash>      {"source": "flows/models.fuse", "file": "3f2a..."}

A marker is written once per process per (store, workflow, file) when a
result is saved (runtime.node), and never changes: two processes writing
the same one write the same bytes. Its name is a hash of its contents, never
the path itself, so a path with slashes, dots or control characters stays
data; a node's name cannot start with '.', so the folder clashes with none.
What a marker holds was written by anyone who can write the store: it is
read as bounded JSON and shown escaped (names.shown), never used as a path.
"""

from __future__ import annotations

import json

from ...digest import sha256
from .base import Source

DIRNAME = ".sources"
MAX_SIZE = 16 << 10  # a marker larger than this is not one of ours: ignored


def name(source: Source) -> str:
    """The marker's object name: 32 hex digits, whatever the path holds."""
    return sha256(encode(source)).hexdigest()[:32]


def encode(source: Source) -> bytes:
    return json.dumps({"source": source.path, "file": source.file}, sort_keys=True, ensure_ascii=True).encode()


def decode(data: bytes) -> Source | None:
    """The marker's source; None for anything else (too large, not our JSON)."""
    if len(data) > MAX_SIZE:
        return None
    try:
        found = json.loads(data)
    except ValueError:  # UnicodeDecodeError too
        return None
    if not isinstance(found, dict):
        return None
    path, file = found.get("source"), found.get("file", "")
    if not isinstance(path, str) or not path or not isinstance(file, str):
        return None
    return Source(path, file)
