"""FileStore: results in a folder; small ones appended to packs, large ones a file each.

    ROOT/<workflow>/.packs/<time>-<pid>-<rand>.ffp   small results, appended (pack.py)
    ROOT/<workflow>/<node>/<key>.ffr                 a large result: temp file + rename
    ROOT/<workflow>/.sources/<hash>                  a .fuse file that wrote results (markers.py)

Local disks and shared filesystems (NFS, a cluster's scratch) alike: every
process appends only to its own pack and every file is written under a temp
name and renamed, so several processes (Ray workers, two runs of the same
workflow) can write and read one store at once. Layout and guarantees:
docs/storage.md.
"""

from __future__ import annotations

import builtins
import json
import os
import time
import warnings
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from . import fileio, markers, pack
from .base import Garbage, MissingResult, Source, StorageWarning, Store, StoredResult
from .format import PEEK_SIZE, SUFFIX, Buffer, CorruptRecord, address, decode, encode_header, peek_serializer
from .names import check_name, hint
from .serializers import REGISTRY, SerializerRegistry

STALE_AFTER = 3600.0  # seconds before a leftover temp file is surely not being written
INLINE_MAX = 256 << 10  # payloads up to this size go to a pack
MAP_MIN = 4 << 20  # records in a file of their own from this size are memory-mapped
REFRESH_AFTER = 1.0  # seconds: on a miss, look for other processes' new results at most this often


class FileStore(Store):
    """A result store in a local (or shared) folder; see docs/storage.md.

    ``fsync=None`` reads FUSEFLOW_FSYNC: off, a record survives any crash or
    kill of the writing process; on, it also survives a power loss.
    ``inline_max`` is the largest payload appended to a pack (0: none).
    """

    def __init__(self, root: str | os.PathLike[str], *, serializers: SerializerRegistry | None = None,
                 fsync: bool | None = None, inline_max: int = INLINE_MAX) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.serializers = serializers or REGISTRY
        self.fsync = fileio.fsync_from_env() if fsync is None else fsync
        self.inline_max = inline_max
        self._dirs: dict[tuple[str, str], str] = {}  # checked (workflow, node) -> folder
        self._made: set[str] = set()  # folders known to exist: no mkdir per save
        self._writers: dict[str, pack.Writer] = {}
        self._indexes: dict[str, pack.Index] = {}

    @property
    def url(self) -> str:
        return "file:" + self.root

    def __getstate__(self) -> dict[str, Any]:
        """Ship to a Ray worker without the caches (the registry there is its own)."""
        own = None if self.serializers is REGISTRY else self.serializers
        return {"root": self.root, "serializers": own, "fsync": self.fsync, "inline_max": self.inline_max}

    def __setstate__(self, state: dict[str, Any]) -> None:
        FileStore.__init__(self, state["root"], serializers=state["serializers"], fsync=state["fsync"],
                           inline_max=state.get("inline_max", INLINE_MAX))

    # The hot path: one call per node of every run.

    def load(self, workflow: str, node: str, key: str) -> tuple[bool, Any]:
        path = self._record_path(workflow, node, key)
        index = self._index(workflow)
        entry = index.get(node, key) or self._refreshed(index, node, key)
        if entry is not None and entry.kind == pack.INLINE:
            try:
                record = index.record(entry)
            except FileNotFoundError:  # its pack was compacted or removed meanwhile: look again, once
                index.drop(node, key)
                entry = self._refreshed(index, node, key, force=True)
                if entry is None or entry.kind != pack.INLINE:
                    return self._load_file(path, workflow, node, key)
                try:
                    record = index.record(entry)
                except FileNotFoundError:
                    return False, None
            return self._decode(record, lambda: self._discard_entry(workflow, entry), f"{entry.pack}@{entry.offset}",
                                workflow, node, key)
        if node not in index.folders:
            return False, None  # no folder of large results for this node: a miss costs no system call
        return self._load_file(path, workflow, node, key)

    def _load_file(self, path: str, workflow: str, node: str, key: str) -> tuple[bool, Any]:
        try:
            record, inode = self._read(path)
        except FileNotFoundError:
            return False, None
        return self._decode(record, lambda: _discard(path, inode), path, workflow, node, key)

    def save(self, workflow: str, node: str, key: str, value: Any, meta: dict[str, Any] | None = None) -> None:
        path = self._record_path(workflow, node, key)
        serializer, buffers = self.serializers.dump(value)
        text = json.dumps(meta, separators=(",", ":"), default=repr).encode() if meta else b""
        if sum(map(len, buffers)) <= self.inline_max:
            record = [encode_header(serializer.name, buffers, address(workflow, node, key)), *buffers]
            self._append(workflow, pack.INLINE, node, key, text, record)
            return
        self._write_file(workflow, node, key, path, serializer.name, buffers)
        if text:  # the key's description, for `fusec explain`
            self._append(workflow, pack.EXTERNAL, node, key, text, [])

    def has(self, workflow: str, node: str, key: str) -> bool:
        path = self._record_path(workflow, node, key)
        index = self._index(workflow)
        entry = index.get(node, key) or self._refreshed(index, node, key)
        if entry is not None and entry.kind == pack.INLINE:
            return True
        return node in index.folders and os.path.isfile(path)

    def _record_path(self, workflow: str, node: str, key: str) -> str:
        directory = self._dirs.get((workflow, node)) or self._node_dir(workflow, node)
        if not key or key[0] == "." or "/" in key or "\\" in key:
            check_name("key", key)
        return f"{directory}/{key}{SUFFIX}"

    def _node_dir(self, workflow: str, node: str) -> str:
        check_name("workflow", workflow)
        check_name("node", node)
        directory = self._dirs[workflow, node] = f"{self.root}/{workflow}/{node}"
        return directory

    def _index(self, workflow: str) -> pack.Index:
        index = self._indexes.get(workflow)
        if index is None:
            index = self._indexes[workflow] = pack.Index(f"{self.root}/{workflow}")
            index.refresh()
        return index

    def _refreshed(self, index: pack.Index, node: str, key: str, force: bool = False) -> pack.Entry | None:
        """After a miss: what other processes saved since we last looked (at most once a second)."""
        if force or time.monotonic() - index.refreshed > REFRESH_AFTER:
            index.refresh()
            return index.get(node, key)
        return None

    def _append(self, workflow: str, kind: int, node: str, key: str, meta: bytes,
                record: builtins.list[Buffer]) -> None:
        writer = self._writers.get(workflow)
        if writer is None:
            writer = self._writers[workflow] = pack.Writer(f"{self.root}/{workflow}", self.fsync)
        saved = time.time()
        buffers = pack.encode(kind, node, key, meta, record, saved)
        path, start = writer.append(buffers)
        head = len(buffers[0])
        size = sum(map(len, buffers))
        length = size - head - (len(buffers[-1]) if record else 0)
        entry = pack.Entry(node, key, kind, path, start, start + head, length, saved, size, meta)
        self._index(workflow).add(entry)

    def _write_file(self, workflow: str, node: str, key: str, path: str, name: str,
                    buffers: builtins.list[Buffer]) -> None:
        directory = self._dirs[workflow, node]
        if directory not in self._made:
            self._make_dir(directory)
            self._index(workflow).folders.add(node)
        context = address(workflow, node, key)
        try:
            fileio.write_record_atomic(fileio.temp_path(directory, key), path, name, buffers, self.fsync, context)
        except FileNotFoundError:  # the folder was removed meanwhile (fusec storage rm)
            self._make_dir(directory)
            self._index(workflow).folders.add(node)
            fileio.write_record_atomic(fileio.temp_path(directory, key), path, name, buffers, self.fsync, context)
        if self.fsync:
            fileio.fsync_dir(directory)

    def _read(self, path: str) -> tuple[Any, int]:
        """A record file: memory-mapped when large (arrays are then views of the page cache)."""
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            raise
        if size >= MAP_MIN:
            return fileio.map_file(path)
        return fileio.read_file(path)

    def _make_dir(self, directory: str) -> None:
        """One mkdir when the workflow folder exists (the usual case), else makedirs."""
        try:
            os.mkdir(directory)
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(directory, exist_ok=True)
        if self.fsync:  # the new folders' own entries must reach the disk too
            for parent in (os.path.dirname(directory), self.root, os.path.dirname(self.root)):
                fileio.fsync_dir(parent)
        self._made.add(directory)

    def _decode(self, record: Any, discard: Callable[[], None], where: str, workflow: str, node: str,
                key: str) -> tuple[bool, Any]:
        """(True, value), or a StorageWarning and (False, None): bad data never raises, and is
        never deserialized."""
        try:
            name, payload = decode(record, address(workflow, node, key))
            return True, self.serializers.get(name).load(payload)
        except CorruptRecord as exc:
            discard()
            _warn(f"discarded the stored result of node {node!r} in workflow {workflow!r} ({where}): {exc}; "
                  "it will be recomputed")
        except Exception as exc:  # intact but not loadable here: keep it, recompute
            reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # KeyError's str() adds quotes
            _warn(f"could not load the stored result of node {node!r} in workflow {workflow!r} ({where}): {reason}; "
                  "it will be recomputed")
        return False, None

    def _discard_entry(self, workflow: str, bad: pack.Entry) -> None:
        """Drop a damaged pack entry: its pack is rewritten without it."""
        self._index(workflow).drop(bad.node, bad.key)
        self._compact(workflow, bad.pack, lambda e: e.start != bad.start)

    def _compact(self, workflow: str, path: str, keep: Callable[[pack.Entry], bool]) -> int:
        writer = self._writers.get(workflow)
        if writer is not None:
            writer.forget(path)
        dropped = pack.compact(path, keep)
        self._index(workflow).refresh()
        return dropped

    # Inspection and pruning: notebooks and `fusec storage`.

    def workflows(self) -> builtins.list[str]:
        return fileio.subdirs(self.root)

    def list(self, workflow: str, pattern: str = "*") -> builtins.list[StoredResult]:
        check_name("workflow", workflow)
        match = _matcher(pattern)
        results: dict[tuple[str, str], StoredResult] = {}
        index = self._index(workflow)
        index.refresh()
        for entry in index.all():
            if entry.kind == pack.INLINE and match(entry.node):
                results[entry.node, entry.key] = _describe_entry(workflow, entry)
        for node in fileio.subdirs(f"{self.root}/{workflow}"):
            if match(node):
                for result in self._node_results(workflow, node, f"{self.root}/{workflow}/{node}"):
                    results.setdefault((node, result.key), result)
        return sorted(results.values(), key=lambda r: (r.node, r.mtime, r.key))

    def meta(self, workflow: str, node: str, key: str) -> dict[str, Any] | None:
        self._record_path(workflow, node, key)
        entry = self._index(workflow).get(node, key) or self._refreshed(self._index(workflow), node, key, force=True)
        return entry.meta_dict() if entry is not None else None

    def sources(self, workflow: str) -> set[Source]:
        check_name("workflow", workflow)
        found = (_read_marker(e) for e in fileio.scandir(f"{self.root}/{workflow}/{markers.DIRNAME}")
                 if e.name[:1] != ".")
        return {source for source in found if source is not None}

    def add_source(self, workflow: str, source: Source) -> None:
        """A marker, unless there is one: written under a temp name and renamed, so racing
        writers (the same bytes) and readers see it whole or not at all."""
        check_name("workflow", workflow)
        directory = f"{self.root}/{workflow}/{markers.DIRNAME}"
        path = f"{directory}/{markers.name(source)}"
        if os.path.isfile(path):
            return
        if directory not in self._made:
            self._make_dir(directory)
        try:
            fileio.write_atomic(fileio.temp_path(directory, "source"), path, [markers.encode(source)], self.fsync)
        except FileNotFoundError:  # the folder was removed meanwhile (gc, fusec storage rm)
            self._make_dir(directory)
            fileio.write_atomic(fileio.temp_path(directory, "source"), path, [markers.encode(source)], self.fsync)

    def remove_source(self, workflow: str, source: Source) -> None:
        check_name("workflow", workflow)
        directory = f"{self.root}/{workflow}/{markers.DIRNAME}"
        fileio.unlink_quietly(f"{directory}/{markers.name(source)}")
        self._made.discard(directory)
        _rmdir_quietly(directory)

    def where(self, workflow: str, node: str, key: str) -> tuple[str, int, int] | None:
        """(file, offset, length) of a stored record: a pack or a file of its own; None if absent.

        For tools and tests that inspect or damage records on purpose.
        """
        path = self._record_path(workflow, node, key)
        entry = self._index(workflow).get(node, key) or self._refreshed(self._index(workflow), node, key, force=True)
        if entry is not None and entry.kind == pack.INLINE:
            return entry.pack, entry.offset, entry.length
        return (path, 0, os.stat(path).st_size) if os.path.isfile(path) else None

    def read(self, workflow: str, node: str, key: str | None = None) -> Any:
        if key is None:
            key = self._latest_key(workflow, node)
        found, value = self.load(workflow, node, key)
        if not found:
            raise MissingResult(self._why_missing(workflow, node, key))
        return value

    def remove(self, workflow: str, pattern: str) -> int:
        check_name("workflow", workflow)
        match = _matcher(pattern)
        removed = {(r.node, r.key) for r in self.list(workflow, pattern)}
        for path in {e.pack for e in self._all_entries(workflow) if match(e.node)}:  # older copies too
            self._compact(workflow, path, lambda e: not match(e.node))
        for node in fileio.subdirs(f"{self.root}/{workflow}"):
            if match(node):
                self._remove_node(f"{self.root}/{workflow}/{node}")
        if not self.list(workflow):  # nothing left: no file has results here any more
            self._made.discard(f"{self.root}/{workflow}/{markers.DIRNAME}")
            fileio.remove_tree(f"{self.root}/{workflow}/{markers.DIRNAME}")
        _rmdir_quietly(f"{self.root}/{workflow}")
        return len(removed)

    def _remove_workflow(self, workflow: str) -> bool:
        """Rename the folder away first, so no reader sees it half deleted."""
        check_name("workflow", workflow)
        directory = f"{self.root}/{workflow}"
        trash = fileio.temp_path(self.root, "trash-" + workflow)
        try:
            os.rename(directory, trash)
        except FileNotFoundError:
            return False
        self._made = {d for d in self._made if not d.startswith(directory + "/")}
        self._writers.pop(workflow, None)
        self._indexes.pop(workflow, None)
        fileio.remove_tree(trash)
        return True

    def garbage(self, keep: Callable[[str, str, str], bool] | None = None, max_age: float = STALE_AFTER,
                workflows: builtins.list[str] | None = None) -> builtins.list[Garbage]:
        out = [Garbage("temp", "", "", e.name, _size(e), e.path) for e in fileio.scandir(self.root)
               if fileio.is_temp(e.name) and _stale(e, max_age)]
        for workflow in self.workflows() if workflows is None else workflows:
            out.extend(self._workflow_garbage(workflow, keep, max_age))
        return out

    def _workflow_garbage(self, workflow: str, keep: Callable[[str, str, str], bool] | None,
                          max_age: float) -> builtins.list[Garbage]:
        check_name("workflow", workflow)
        base = f"{self.root}/{workflow}"
        out = [Garbage("temp", workflow, "", e.name, _size(e), e.path)
               for folder in (pack.DIRNAME, markers.DIRNAME)
               for e in fileio.scandir(f"{base}/{folder}") if fileio.is_temp(e.name) and _stale(e, max_age)]
        for node in fileio.subdirs(base):
            out.extend(Garbage("temp", workflow, node, e.name, _size(e), e.path)
                       for e in fileio.scandir(f"{base}/{node}") if fileio.is_temp(e.name) and _stale(e, max_age))
        live = self._index(workflow)
        live.refresh()
        for entry in self._all_entries(workflow):
            current = live.get(entry.node, entry.key)
            if current is None or (current.pack, current.start) != (entry.pack, entry.start):
                out.append(Garbage("superseded", workflow, entry.node, entry.key, entry.size, entry.pack))
        if keep is not None:
            out.extend(Garbage("unreferenced", workflow, r.node, r.key, r.size)
                       for r in self.list(workflow) if not keep(workflow, r.node, r.key))
        return out

    def _all_entries(self, workflow: str) -> builtins.list[pack.Entry]:
        """Every entry of every pack, superseded ones included."""
        entries = []
        for item in fileio.scandir(f"{self.root}/{workflow}/{pack.DIRNAME}"):
            if not fileio.is_temp(item.name):
                try:
                    data, _ = fileio.read_file(item.path)
                except FileNotFoundError:
                    continue
                entries.extend(pack.parse(data, 0, item.path)[0])
        return entries

    def gc(self, max_age: float = STALE_AFTER, keep: Callable[[str, str, str], bool] | None = None,
           dry_run: bool = False, workflows: builtins.list[str] | None = None) -> int:
        items = self.garbage(keep, max_age, workflows)
        if not dry_run:
            self.remove_garbage(items)
        return len(items)

    def remove_garbage(self, items: builtins.list[Garbage]) -> None:
        for item in items:
            if item.kind == "temp":
                _remove_path(item.path)
        self._drop_entries(items)

    def _drop_entries(self, items: builtins.list[Garbage]) -> None:
        """Rewrite the packs holding superseded or unreferenced entries; unlink unreferenced files."""
        dead = {(i.workflow, i.node, i.key) for i in items if i.kind == "unreferenced"}
        stale = {(i.workflow, i.path) for i in items if i.kind == "superseded"}
        for workflow in sorted({w for w, _, _ in dead} | {w for w, _ in stale}):
            live = self._index(workflow)
            packs = {p for w, p in stale if w == workflow}
            packs |= {e.pack for e in live.all() if (workflow, e.node, e.key) in dead}
            current = {(e.pack, e.start) for e in live.all() if (workflow, e.node, e.key) not in dead}
            for path in sorted(packs):
                self._compact(workflow, path, _at(current, path))
            for w, node, key in sorted(dead):
                if w == workflow:
                    fileio.unlink_quietly(self._record_path(workflow, node, key))
                    _rmdir_quietly(f"{self.root}/{workflow}/{node}")

    def _node_results(self, workflow: str, node: str, directory: str) -> builtins.list[StoredResult]:
        """The node's record files, oldest first; stale temp files are removed on the way."""
        index = self._indexes.get(workflow)
        results = []
        for entry in fileio.scandir(directory):
            if entry.name.endswith(SUFFIX) and entry.name[0] != ".":
                result = _describe(workflow, node, entry)
                if result is not None and index is not None:
                    found = index.get(node, result.key)
                    if found is not None and found.kind == pack.EXTERNAL:
                        result = StoredResult(workflow, node, result.key, result.size + found.size,
                                              result.mtime, result.serializer)
                results.append(result)
            elif fileio.is_temp(entry.name):
                fileio.remove_if_stale(entry, STALE_AFTER)
        return sorted((r for r in results if r is not None), key=lambda r: (r.mtime, r.key))

    def _latest_key(self, workflow: str, node: str) -> str:
        check_name("node", node)
        results = [r for r in self.list(workflow, node) if r.node == node]
        if not results:
            raise MissingResult(self._why_missing(workflow, node, None))
        return results[-1].key

    def _remove_node(self, directory: str) -> int:
        """Remove the node's records (temp files of live writers are theirs to finish)."""
        records = (e.path for e in fileio.scandir(directory) if e.name.endswith(SUFFIX) and e.name[0] != ".")
        removed = sum(fileio.unlink_quietly(path) for path in records)
        self._made.discard(directory)
        _rmdir_quietly(directory)
        return removed

    def _why_missing(self, workflow: str, node: str, key: str | None) -> str:
        workflows = self.workflows()
        if workflow not in workflows:
            return f"no workflow {workflow!r} in {self.url}" + hint(workflow, workflows, "stored workflows")
        nodes = self.list_tasks(workflow)
        if node not in nodes:
            return (f"no stored result of node {node!r} in workflow {workflow!r}"
                    + hint(node, nodes, "nodes with results"))
        if key is not None and self.has(workflow, node, key):
            return f"the stored result of node {node!r} with key {key!r} could not be loaded (see the StorageWarning)"
        keys = [r.key for r in self.list(workflow, node) if r.node == node]
        return (f"node {node!r} of workflow {workflow!r} has no result with key {key!r}"
                + hint(key or "", keys, "stored keys"))


def _matcher(pattern: str) -> Callable[[str], bool]:
    return lambda node: node == pattern or fnmatchcase(node, pattern)


def _describe(workflow: str, node: str, entry: os.DirEntry[str]) -> StoredResult | None:
    """A listing row, from the entry's stat and the record's header; None if just removed."""
    try:
        info = entry.stat()
        with open(entry.path, "rb") as f:
            serializer = peek_serializer(f.read(PEEK_SIZE))
    except FileNotFoundError:
        return None
    key = entry.name[: -len(SUFFIX)]
    return StoredResult(workflow, node, key, info.st_size, info.st_mtime, serializer)


def _read_marker(entry: os.DirEntry[str]) -> Source | None:
    """A marker file's source; None for anything else (a link, a pipe, not ours, just removed)."""
    try:
        if not entry.is_file(follow_symlinks=False):
            return None
        with open(entry.path, "rb") as f:
            return markers.decode(f.read(markers.MAX_SIZE + 1))
    except OSError:
        return None


def _describe_entry(workflow: str, entry: pack.Entry) -> StoredResult:
    try:
        head = pack.read_record(pack.Entry(entry.node, entry.key, entry.kind, entry.pack, entry.start, entry.offset,
                                           min(entry.length, PEEK_SIZE), 0, 0, b""))
        serializer = peek_serializer(head)
    except FileNotFoundError:
        serializer = "?"
    return StoredResult(workflow, entry.node, entry.key, entry.size, entry.saved, serializer)


def _at(positions: set[tuple[str, int]], path: str) -> Callable[[pack.Entry], bool]:
    """Whether an entry of the pack at ``path`` is at one of ``positions`` (pack, start)."""
    return lambda e: (path, e.start) in positions


def _stale(entry: os.DirEntry[str], max_age: float) -> bool:
    try:
        return entry.stat(follow_symlinks=False).st_mtime <= time.time() - max_age
    except FileNotFoundError:
        return False


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_size
    except FileNotFoundError:
        return 0


def _remove_path(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        fileio.remove_tree(path)
    else:
        fileio.unlink_quietly(path)


def _discard(path: str, inode: int) -> None:
    """Delete a damaged record, unless a writer has meanwhile replaced it with a new one."""
    try:
        if os.stat(path).st_ino == inode:
            os.unlink(path)
    except FileNotFoundError:
        pass


def _rmdir_quietly(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass


def _warn(message: str) -> None:
    warnings.warn(message, StorageWarning, stacklevel=4)
