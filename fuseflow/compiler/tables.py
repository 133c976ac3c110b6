"""The grammar analysed by lark, kept between runs in the user's cache folder.

Analysing fuse.lark (parse table, terminals, contextual lexer) takes lark
about 0.15 s, most of a `fusec check`; loading the result takes 0.02 s. So
the analysed grammar is saved with lark's own ``Lark.save`` in
``$XDG_CACHE_HOME/fuseflow`` (else ``~/.cache/fuseflow``), under a name made
from everything it depends on: the grammar text, the options, the lark and
Python versions. A changed grammar or an upgraded lark gets a new file.

The file is a pickle, so it is only read from a folder that belongs to this
user and that no one else may write to; it is written under a temporary
name and renamed, so a reader never sees half of one. Anything wrong (no
home, a read-only disk, a damaged file) means the grammar is analysed in
memory as without a cache: the cache only ever saves time.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import lark
from lark import Lark

from ..digest import sha256
from .cachedir import cache_folder

FORMAT = 1  # bump when what is saved changes in a way the key does not show


def load_or_build(grammar: str, **options: Any) -> Lark:
    """``Lark(grammar, **options)``, loaded from the cache when it holds this grammar."""
    folder = cache_folder()
    if folder is None:
        return Lark(grammar, **options)
    path = folder / f"grammar-{cache_key(grammar, options)}.lark"
    try:
        with open(path, "rb") as f:
            return Lark.load(f)
    except Exception:  # none yet, or a damaged one: analysed again, and saved below
        pass
    parser = Lark(grammar, **options)
    save(parser, path)
    return parser


def cache_key(grammar: str, options: dict[str, Any]) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    parts = [str(FORMAT), lark.__version__, python, repr(sorted(options.items())), grammar]
    return sha256("\0".join(parts).encode()).hexdigest()[:24]


def save(parser: Lark, path: Path) -> None:
    """Write the analysed grammar to ``path`` atomically; a failure only loses the cache."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as f:
            parser.save(f)
        os.replace(temp, path)
    except Exception:
        try:
            os.unlink(temp)
        except OSError:
            pass
