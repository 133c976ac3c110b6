"""FileStore: results as files in a folder, ``ROOT/<workflow>/<node>/<key>.ffr``.

Local disks and shared filesystems (NFS, a cluster's scratch) alike: every
write is a temp file plus an atomic rename, so several processes (Ray
workers, two runs of the same workflow) can write and read concurrently.
"""

from __future__ import annotations

import os
import shutil
import warnings
from fnmatch import fnmatchcase
from typing import Any

from . import fileio
from .base import MissingResult, StorageWarning, Store, StoredResult
from .format import PEEK_SIZE, SUFFIX, CorruptRecord, decode, encode_header, peek_serializer
from .names import check_name, hint
from .serializers import REGISTRY, SerializerRegistry

STALE_AFTER = 3600.0  # seconds before a leftover temp file is surely not being written


class FileStore(Store):
    """A result store in a local (or shared) folder; see docs/storage.md.

    ``fsync=None`` reads FUSEFLOW_FSYNC: off, a record survives any crash or
    kill of the writing process; on, it also survives a power loss.
    """

    def __init__(self, root: str | os.PathLike, *, serializers: SerializerRegistry | None = None, fsync: bool | None = None) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.serializers = serializers or REGISTRY
        self.fsync = fileio.fsync_from_env() if fsync is None else fsync
        self._dirs: dict[tuple[str, str], str] = {}  # checked (workflow, node) -> folder
        self._made: set[str] = set()  # folders known to exist: no mkdir per save

    @property
    def url(self) -> str:
        return "file:" + self.root

    def __getstate__(self) -> dict[str, Any]:
        """Ship to a Ray worker without the caches (the registry there is its own)."""
        own = None if self.serializers is REGISTRY else self.serializers
        return {"root": self.root, "serializers": own, "fsync": self.fsync}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["root"], serializers=state["serializers"], fsync=state["fsync"])

    # The hot path: one call per node of every run.

    def load(self, workflow: str, node: str, key: str) -> tuple[bool, Any]:
        path = self._record_path(workflow, node, key)
        try:
            record, inode = fileio.read_file(path)
        except FileNotFoundError:
            return False, None
        return self._decode(record, path, inode, workflow, node)

    def save(self, workflow: str, node: str, key: str, value: Any) -> None:
        path = self._record_path(workflow, node, key)
        serializer = self.serializers.choose(value)
        buffers = serializer.dump(value)
        chunks = [encode_header(serializer.name, buffers), *buffers]
        directory = self._dirs[workflow, node]
        if directory not in self._made:
            self._make_dir(directory)
        try:
            fileio.write_atomic(fileio.temp_path(directory, key), path, chunks, self.fsync)
        except FileNotFoundError:  # the folder was removed meanwhile (fusec storage rm)
            self._make_dir(directory)
            fileio.write_atomic(fileio.temp_path(directory, key), path, chunks, self.fsync)
        if self.fsync:
            fileio.fsync_dir(directory)

    def has(self, workflow: str, node: str, key: str) -> bool:
        return os.path.isfile(self._record_path(workflow, node, key))

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

    def _decode(self, record: bytearray, path: str, inode: int, workflow: str, node: str) -> tuple[bool, Any]:
        """(True, value), or a StorageWarning and (False, None): bad data never raises."""
        try:
            name, payload = decode(record)
            return True, self.serializers.get(name).load(payload)
        except CorruptRecord as exc:
            _discard(path, inode)
            _warn(f"discarded the stored result of node {node!r} in workflow {workflow!r} ({path}): {exc}; it will be recomputed")
        except Exception as exc:  # intact but not loadable here: keep it, recompute
            reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # KeyError's str() adds quotes
            _warn(f"could not load the stored result of node {node!r} in workflow {workflow!r} ({path}): {reason}; it will be recomputed")
        return False, None

    # Inspection and pruning: notebooks and `fusec storage`.

    def workflows(self) -> list[str]:
        return fileio.subdirs(self.root)

    def list(self, workflow: str, pattern: str = "*") -> list[StoredResult]:
        results: list[StoredResult] = []
        for node in self._matching_nodes(workflow, pattern):
            results.extend(self._node_results(workflow, node, f"{self.root}/{workflow}/{node}"))
        return results

    def read(self, workflow: str, node: str, key: str | None = None) -> Any:
        if key is None:
            key = self._latest_key(workflow, node)
        found, value = self.load(workflow, node, key)
        if not found:
            raise MissingResult(self._why_missing(workflow, node, key))
        return value

    def remove(self, workflow: str, pattern: str) -> int:
        nodes = self._matching_nodes(workflow, pattern)
        removed = sum(self._remove_node(f"{self.root}/{workflow}/{node}") for node in nodes)
        _rmdir_quietly(f"{self.root}/{workflow}")
        return removed

    def remove_workflow(self, workflow: str) -> bool:
        """Rename the folder away first, so no reader sees it half deleted."""
        check_name("workflow", workflow)
        directory = f"{self.root}/{workflow}"
        trash = fileio.temp_path(self.root, "trash-" + workflow)
        try:
            os.rename(directory, trash)
        except FileNotFoundError:
            return False
        self._made = {d for d in self._made if not d.startswith(directory + "/")}
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def gc(self, max_age: float = STALE_AFTER) -> int:
        removed = sum(fileio.remove_if_stale(e, max_age) for e in fileio.scandir(self.root) if fileio.is_temp(e.name))
        for workflow in self.workflows():
            for node in fileio.subdirs(f"{self.root}/{workflow}"):
                removed += _remove_stale_temps(f"{self.root}/{workflow}/{node}", max_age)
        return removed

    def _matching_nodes(self, workflow: str, pattern: str) -> list[str]:
        """Node folders of a (checked) workflow whose names match; exact names always do."""
        check_name("workflow", workflow)
        nodes = fileio.subdirs(f"{self.root}/{workflow}")
        return [node for node in nodes if node == pattern or fnmatchcase(node, pattern)]

    def _node_results(self, workflow: str, node: str, directory: str) -> list[StoredResult]:
        """The node's records, oldest first; stale temp files are removed on the way."""
        results = []
        for entry in fileio.scandir(directory):
            if entry.name.endswith(SUFFIX) and entry.name[0] != ".":
                results.append(_describe(workflow, node, entry))
            elif fileio.is_temp(entry.name):
                fileio.remove_if_stale(entry, STALE_AFTER)
        return sorted((r for r in results if r is not None), key=lambda r: (r.mtime, r.key))

    def _latest_key(self, workflow: str, node: str) -> str:
        results = self._node_results(workflow, node, self._node_dir(workflow, node))
        if not results:
            raise MissingResult(self._why_missing(workflow, node, None))
        return results[-1].key

    def _remove_node(self, directory: str) -> int:
        """Remove the node's records (temp files of live writers are theirs to finish)."""
        removed = sum(
            fileio.unlink_quietly(e.path) for e in fileio.scandir(directory) if e.name.endswith(SUFFIX) and e.name[0] != "."
        )
        self._made.discard(directory)
        _rmdir_quietly(directory)
        return removed

    def _why_missing(self, workflow: str, node: str, key: str | None) -> str:
        workflows = self.workflows()
        if workflow not in workflows:
            return f"no workflow {workflow!r} in {self.url}" + hint(workflow, workflows, "stored workflows")
        nodes = self.list_tasks(workflow)
        if node not in nodes:
            return f"no stored result of node {node!r} in workflow {workflow!r}" + hint(node, nodes, "nodes with results")
        if key is not None and self.has(workflow, node, key):
            return f"the stored result of node {node!r} with key {key!r} could not be loaded (see the StorageWarning)"
        keys = [r.key for r in self._node_results(workflow, node, self._node_dir(workflow, node))]
        return f"node {node!r} of workflow {workflow!r} has no result with key {key!r}" + hint(key or "", keys, "stored keys")


def _describe(workflow: str, node: str, entry: os.DirEntry) -> StoredResult | None:
    """A listing row, from the entry's stat and the record's header; None if just removed."""
    try:
        info = entry.stat()
        with open(entry.path, "rb") as f:
            serializer = peek_serializer(f.read(PEEK_SIZE))
    except FileNotFoundError:
        return None
    key = entry.name[: -len(SUFFIX)]
    return StoredResult(workflow, node, key, info.st_size, info.st_mtime, serializer)


def _remove_stale_temps(directory: str, max_age: float) -> int:
    return sum(fileio.remove_if_stale(e, max_age) for e in fileio.scandir(directory) if fileio.is_temp(e.name))


def _discard(path: str, inode: int) -> None:
    """Delete a damaged record, unless a writer has replaced it since it was read."""
    try:
        if os.stat(path).st_ino == inode:
            os.unlink(path)
    except OSError:
        pass


def _rmdir_quietly(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:  # not empty (a writer is busy there) or already gone
        pass


def _warn(message: str) -> None:
    warnings.warn(message, StorageWarning, stacklevel=4)
