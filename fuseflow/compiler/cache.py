"""Compiled IR kept between runs, as Python keeps .pyc files: an unchanged file skips
the front end (and lark, which alone takes some 17 ms to import).

    workflow, warnings = compiled(text, "flows/models.fuse", {"n": "10"})

An entry is named by a hash of everything the IR depends on: the file's text,
the path it is recorded under and the folder it is in, the `-D` values, and the
compiler itself (each of its modules' size and modification time, so an edited
or upgraded fusec never reads an old entry). The files it `use`s are named in
the entry with a hash of their text, and read again on every hit: an edit of a
used file compiles the using file again. Entries are pickles in the private cache folder
(cachedir.py), written under a temporary name and renamed; a damaged or
unreadable one is compiled again. At most KEEP entries are kept, the least
recently written removed first. This is not result storage: `--no-cache` is
about node results and leaves this alone.
"""
from __future__ import annotations

import functools
import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from ..digest import sha256
from .cachedir import cache_folder

if TYPE_CHECKING:
    from .frontend import Compiled

FORMAT = 2
KEEP = 200
_PACKAGE = Path(__file__).resolve().parent.parent  # fuseflow/
_COMPILER_PARTS = ("compiler", "ir", "schemas", "grammar")  # what the front end is made of


def compiled(text: str, path: str, defines: dict[str, str], file: str | os.PathLike[str] | None = None) -> Compiled:
    """(IR workflow, warnings) of `text`: from the cache, else from the front end
    (CompileError for a file with errors, which is never cached). `file`: where the
    file is, when `path` (as artifacts record it) does not say (see frontend.compile_source)."""
    folder = cache_folder()
    where = Path(file if file is not None else path).resolve().parent
    entry = folder / "ir" / f"{entry_key(text, path, defines, where)}.pickle" if folder is not None else None
    if entry is not None:
        try:
            with open(entry, "rb") as f:
                cached: Compiled
                cached, used = pickle.load(f)
            if all(_digest(Path(used_file)) == digest for used_file, digest in used):
                return cached
        except Exception:  # none yet, or damaged: compiled again and saved below
            pass
    from .frontend import compile_source  # the front end, on a miss only (lark and all)

    result = compile_source(text, path, defines, file=file)
    if entry is not None:
        used_files = sorted({str(where / use.source) for use in result[0].uses})
        save(entry, (result, [(used_file, _digest(Path(used_file))) for used_file in used_files]))
    return result


def _digest(file: Path) -> str:
    """A used file's content as the entry knew it ("" when it cannot be read)."""
    try:
        return sha256(file.read_bytes()).hexdigest()
    except OSError:
        return ""


def entry_key(text: str, path: str, defines: dict[str, str], folder: Path) -> str:
    parts = [str(FORMAT), compiler_fingerprint(), path, str(folder), repr(sorted(defines.items())), text]
    return sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """The compiler's modules as they are on disk: names, sizes, modification times."""
    found = []
    for part in _COMPILER_PARTS:
        with os.scandir(_PACKAGE / part) as entries:
            for item in entries:
                if item.name.endswith((".py", ".lark")):
                    info = item.stat()
                    found.append(f"{part}/{item.name}:{info.st_size}:{info.st_mtime_ns}")
    return "|".join(sorted(found))


def save(entry: Path, result: tuple[Compiled, list[tuple[str, str]]]) -> None:
    """Write an entry atomically, then trim the cache to KEEP entries; a failure only loses the cache."""
    temp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
    try:
        entry.parent.mkdir(mode=0o700, exist_ok=True)
        with open(temp, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, entry)
        trim(entry.parent)
    except Exception:
        try:
            os.unlink(temp)
        except OSError:
            pass


def trim(folder: Path) -> None:
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[:-KEEP]:
        old.unlink(missing_ok=True)
