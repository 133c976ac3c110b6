"""What every result store offers, whatever keeps the bytes (a folder, later S3).

Generated workflow code uses only ``load``/``save`` (the hot path, one call
per node); notebooks and ``fusec storage`` use the inspection methods. A new
backend is one more Store subclass registered by URL scheme in ``urls.py``.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Callable
from typing import Any

from ...ir.record import record


class StorageWarning(UserWarning):
    """A stored result was damaged or unreadable and will be recomputed."""


class StorageUnavailable(OSError):
    """The store cannot be used as configured: no credentials, an endpoint that does
    not answer, a storage key setting that cannot be used. A user's setting, not a
    bug: ``fusec`` reports it in one line (``str()``), exit status 1."""


class MissingResult(KeyError):
    """No stored result matches; ``str()`` is the plain message (KeyError quotes it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@record
class StoredResult:
    """One stored result as listed: ``size`` is bytes on disk, ``mtime`` a POSIX time."""

    workflow: str
    node: str
    key: str
    size: int
    mtime: float
    serializer: str


@record
class Source:
    """A .fuse file that wrote results of a workflow (docs/storage.md, "Stores shared by
    several files").

    path: the file as artifacts name it (relative to where fusec ran, e.g.
    ``flows/models.fuse``). file: a hash of its absolute path on the machine that
    ran it ("" when unknown), so the same file run from another folder is known
    as the same one. Both are data read from a store: never a file name.
    """

    path: str
    file: str = ""

    def same_file(self, other: Source) -> bool:
        return self.path == other.path or (bool(self.file) and self.file == other.file)


@record
class Garbage:
    """Something ``gc`` would remove.

    kind: "temp" (a leftover of an interrupted write; ``key`` is its file name),
    "superseded" (an older or damaged copy of a result, inside a pack), or
    "unreferenced" (a result no current key refers to). ``path`` locates temp
    files and packs.
    """

    kind: str
    workflow: str
    node: str
    key: str
    size: int
    path: str = ""


class Store(abc.ABC):
    """Results of workflow nodes, addressed by (workflow, node, key).

    ``key`` identifies the inputs and code that produced a result, so a
    changed input is a different key, never a stale hit.
    """

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """The canonical URL, e.g. ``file:/abs/path``."""

    @abc.abstractmethod
    def load(self, workflow: str, node: str, key: str) -> tuple[bool, Any]:
        """(True, value) when stored and intact, else (False, None); never raises for bad data."""

    @abc.abstractmethod
    def save(self, workflow: str, node: str, key: str, value: Any, meta: dict[str, Any] | None = None) -> None:
        """Store ``value`` atomically: readers see the old record or the new one, whole.

        ``meta`` (JSON-able) describes the key: what went into it, for ``fusec explain``.
        """

    def prefetch(self, workflow: str, items: list[tuple[str, str]]) -> None:
        """A hint: these (node, key) results are about to be loaded. Remote stores
        fetch them concurrently; local ones need not do anything."""
        return None  # not abstract: a store that fetches nothing ahead keeps this

    @abc.abstractmethod
    def has(self, workflow: str, node: str, key: str) -> bool:
        """Whether a record exists (its contents are not checked)."""

    @abc.abstractmethod
    def list(self, workflow: str, pattern: str = "*") -> list[StoredResult]:
        """Results of nodes whose names match the glob, sorted by node then time."""

    @abc.abstractmethod
    def read(self, workflow: str, node: str, key: str | None = None) -> Any:
        """The value stored for ``key`` (the newest one when None); MissingResult if none."""

    @abc.abstractmethod
    def remove(self, workflow: str, pattern: str) -> int:
        """Remove the results of nodes matching the glob; how many were removed."""

    def remove_workflow(self, workflow: str | None = None, *, workflow_name: str | None = None) -> bool:
        """Remove everything stored for ``workflow``; False if there was nothing.
        ``workflow_name=`` is functionfuse's name for ``workflow``."""
        return self._remove_workflow(_either("remove_workflow", "workflow", workflow, "workflow_name", workflow_name))

    @abc.abstractmethod
    def _remove_workflow(self, workflow: str) -> bool:
        """``remove_workflow`` as each store does it."""

    @abc.abstractmethod
    def workflows(self) -> builtins.list[str]:
        """Names of the workflows with stored results, sorted."""

    def meta(self, workflow: str, node: str, key: str) -> dict[str, Any] | None:
        """The ``meta`` saved with a result (None if none, or no such result)."""
        return None

    def metas(self, workflow: str, items: builtins.list[tuple[str, str]]) -> builtins.list[dict[str, Any] | None]:
        """``meta`` of each (node, key); a remote store asks for them all at once."""
        return [self.meta(workflow, node, key) for node, key in items]

    # Which .fuse files wrote results of a workflow: one small marker per file, beside
    # the results (a name starting with '.', which no node has). Not abstract: a store
    # that keeps no markers knows of no other file, as before.

    def sources(self, workflow: str) -> set[Source]:
        """The files that wrote results of ``workflow`` here (as ``add_source`` noted them)."""
        return set()

    def add_source(self, workflow: str, source: Source) -> None:
        """Note that ``source`` writes results of ``workflow``; idempotent, safe to race."""
        return None

    def remove_source(self, workflow: str, source: Source) -> None:
        """Forget ``source`` (``gc`` does, once none of its results are left)."""
        return None

    def garbage(self, keep: Callable[[str, str, str], bool] | None = None, max_age: float = 3600.0,
                workflows: builtins.list[str] | None = None) -> builtins.list[Garbage]:
        """What ``gc`` would remove: temp files older than ``max_age`` seconds,
        superseded copies, and results for which ``keep(workflow, node, key)`` is false."""
        return []

    def gc(self, max_age: float = 3600.0, keep: Callable[[str, str, str], bool] | None = None,
           dry_run: bool = False, workflows: builtins.list[str] | None = None) -> int:
        """Remove what ``garbage`` lists (nothing with ``dry_run``); how many items."""
        items = self.garbage(keep, max_age, workflows)
        if not dry_run:
            self.remove_garbage(items)
        return len(items)

    def remove_garbage(self, items: builtins.list[Garbage]) -> None:
        """Remove items that ``garbage`` listed."""
        return None  # not abstract: ``garbage`` lists nothing unless a store says otherwise

    # functionfuse's FileStorage API, for notebooks moving over from it: each argument
    # under fuseflow's name or under functionfuse's (workflow_name=, task_name=), not both.

    def list_tasks(self, workflow: str | None = None, pattern: str = "*", *,
                   workflow_name: str | None = None) -> builtins.list[str]:
        """Names of the nodes with stored results matching the glob, sorted."""
        workflow = _either("list_tasks", "workflow", workflow, "workflow_name", workflow_name)
        return sorted({result.node for result in self.list(workflow, pattern)})

    def read_task(self, workflow: str | None = None, node: str | None = None, *,
                  workflow_name: str | None = None, task_name: str | None = None) -> Any:
        """The most recent stored result of ``node``; MissingResult if none."""
        workflow = _either("read_task", "workflow", workflow, "workflow_name", workflow_name)
        return self.read(workflow, _either("read_task", "node", node, "task_name", task_name))

    def remove_task(self, workflow: str | None = None, pattern: str | None = None, *,
                    workflow_name: str | None = None, task_name: str | None = None) -> int:
        """Remove the results of the nodes matching the glob ``pattern`` (a plain name
        is a glob too), or of the node named exactly ``task_name``; how many."""
        workflow = _either("remove_task", "workflow", workflow, "workflow_name", workflow_name)
        exact = None if task_name is None else _literal(task_name)
        return self.remove(workflow, _either("remove_task", "pattern", pattern, "task_name", exact))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


def _either(method: str, name: str, value: Any, alias: str, aliased: Any) -> Any:
    """The argument given as ``name`` or as ``alias`` (the name functionfuse gave it): one of them."""
    if value is not None and aliased is not None:
        raise TypeError(f"{method}() got both {name!r} and {alias!r}: give one of them")
    if value is None and aliased is None:
        raise TypeError(f"{method}() missing an argument: {name!r} or {alias!r}")
    return aliased if value is None else value


def _literal(name: str) -> str:
    """A glob that matches exactly ``name``, even when it holds ``*``, ``?`` or ``[``."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
