"""Stores shared by several .fuse files: who wrote each result, a warning, what `gc FILE` may remove.

Results are addressed by (workflow, node, key), so two files with the same
`workflow` name and one store write into one workflow: their keys differ
where their nodes do (neither loads a result the other computed differently),
but `fusec storage` sees one workflow, and `gc FILE`, which keeps only the
keys FILE now produces, would remove the other file's results. So each saved
result's meta names the file that wrote it (``meta``), and the store keeps a
marker per file that wrote results of a workflow (Store.add_source):

    me = origin(wf.source, wf.home)         # Source("flows/models.fuse", <hash of its absolute path>)
    warn_if_shared(store, "models", me)     # a run: one StorageWarning naming the other files
    pruning = prune(store, "models", keys, me, max_age)   # gc FILE: the other files' results kept

Cache keys do not depend on any of this: two files computing the same node
the same way still share its result.
"""
from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from ..digest import sha256
from ..ir.record import field, record
from .storage import Garbage, Source, StorageUnavailable, StorageWarning, Store
from .storage.names import shown

_noted: set[tuple[str, str, Any, Any]] = set()  # (store URL, workflow, path, file id) marked by this process


def origin(source: str, home: str | os.PathLike[str] | None) -> Source | None:
    """The file a workflow was compiled from (`source`, as artifacts name it; `home`, the
    folder it is in, when known); None when there is none (a workflow built in Python)."""
    if not source:
        return None
    return Source(source, file_id(Path(home) / PurePosixPath(source).name) if home else "")


def used_origin(source: str, home: str | os.PathLike[str] | None, used: str) -> Source | None:
    """The file of a used workflow (`used`, relative to the using file's folder), as `origin`
    names it when that file runs on its own from the same working directory: its nodes' results
    are that file's, wherever they are computed."""
    if not source:
        return None
    path = PurePosixPath(os.path.normpath((PurePosixPath(source).parent / used).as_posix())).as_posix()
    return Source(path, file_id(Path(home) / used) if home else "")


def file_id(path: Path) -> str:
    """A hash of the file's absolute path ("" if there is no such file): the same file run
    from another folder has another `source` path but the same id."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a loop of links
        return ""
    if not resolved.is_file():
        return ""
    return sha256(os.fsencode(resolved)).hexdigest()[:16]


def meta(source: Source) -> dict[str, str]:
    """What a saved result's meta says of its file."""
    return {"source": source.path, "file": source.file} if source.file else {"source": source.path}


def owner(saved: dict[str, Any] | None) -> Source | None:
    """The file a result's meta names; None for a result saved before results named one."""
    if not saved:
        return None
    path, file = saved.get("source"), saved.get("file", "")
    if not isinstance(path, str) or not path:
        return None
    return Source(path, file if isinstance(file, str) else "")


# --- a run --------------------------------------------------------------------------------


def warn_if_shared(store: Store, workflow: str, me: Source | None) -> None:
    """One StorageWarning when other files wrote results of `workflow` to `store`."""
    if me is None:
        return
    try:
        others = sorted({s.path for s in store.sources(workflow) if not s.same_file(me)})
    except StorageUnavailable:
        raise
    except OSError:  # a folder it may not read: the run finds out soon enough, the warning is not worth failing
        return
    if others:
        warnings.warn(shared_message(store.url, workflow, others), StorageWarning, stacklevel=3)


def shared_message(url: str, workflow: str, others: list[str]) -> str:
    names = ", ".join(shown(path) for path in others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    files = "another file" if len(others) == 1 else "other files"
    return (f"storage {url} also holds results of workflow {workflow!r} from {files} ({names}); `fusec storage` "
            "shows them as one workflow's: give one of the files another `workflow` name (`fusec storage gc FILE` "
            "then removes its results under the old one) or another `storage`")


def note(store: Store, workflow: str, saved: dict[str, Any] | None, warn: Callable[[str], None]) -> None:
    """After a save: the store's marker of the file that wrote it, once per process."""
    if not saved or "source" not in saved:
        return
    mark = (store.url, workflow, saved["source"], saved.get("file", ""))  # the usual case: seen, a set look-up
    if mark in _noted:
        return
    _noted.add(mark)
    source = owner(saved)
    if source is None:
        return
    try:
        store.add_source(workflow, source)
    except Exception as exc:  # a marker is a hint: the result is stored, the run goes on
        warn(f"could not note in {store.url} that {shown(source.path)} writes results of workflow {workflow!r} "
             f"({type(exc).__name__}: {exc}); runs of other files with that workflow name will not be warned")


# --- fusec storage gc FILE ----------------------------------------------------------------


@record
class Pruning:
    """What `gc FILE` removes, and what it keeps because another file wrote it.

    garbage: to remove. kept: results of the workflow written by other files, by
    their path. former: other workflows FILE wrote results of (names it no longer
    has): its results there are in `garbage`, its markers there go with them."""

    garbage: list[Garbage]
    kept: dict[str, int] = field(default_factory=dict)
    former: list[str] = field(default_factory=list)


def prune(store: Store, workflow: str, keys: dict[str, str], me: Source | None, max_age: float,
          unknown: Callable[[str], bool] | None = None) -> Pruning:
    """The garbage of `workflow` (results whose keys are not in `keys`) that is `me`'s, or
    no file's (saved before results named one), plus `me`'s results under former names.
    `unknown(node)`: a node whose key is not known now (a run-time loop's, when what it iterates
    is not stored): every result of it is kept."""
    former = former_names(store, workflow, me)

    def current(w: str, node: str, key: str) -> bool:
        return w == workflow and (keys.get(node) == key or (unknown is not None and unknown(node)))

    items = store.garbage(current, max_age, [workflow, *former])
    if me is None:
        return Pruning(items)
    owners = owners_of(store, [item for item in items if item.kind == "unreferenced"])
    garbage, kept = [], Counter[str]()
    for item in items:
        if item.kind != "unreferenced":  # leftovers and superseded copies: nobody's results
            garbage.append(item)
            continue
        who = owners[item.workflow, item.node, item.key]
        if who is None:  # saved before results named their file: FILE's, as gc always took them
            mine = item.workflow == workflow
        else:
            mine = who.same_file(me)
        if mine:
            garbage.append(item)
        elif who is not None and item.workflow == workflow:
            kept[who.path] += 1
    return Pruning(garbage, dict(kept), former)


def former_names(store: Store, workflow: str, me: Source | None) -> list[str]:
    """The other workflows `me` wrote results of: names the file has since changed."""
    if me is None:
        return []
    return [w for w in store.workflows() if w != workflow and any(s.same_file(me) for s in store.sources(w))]


def owners_of(store: Store, items: list[Garbage]) -> dict[tuple[str, str, str], Source | None]:
    """(workflow, node, key) -> the file that wrote the result, from the metas (fetched together)."""
    found: dict[tuple[str, str, str], Source | None] = {}
    for workflow in sorted({item.workflow for item in items}):
        mine = [(item.node, item.key) for item in items if item.workflow == workflow]
        for (node, key), saved in zip(mine, store.metas(workflow, mine), strict=True):
            found[workflow, node, key] = owner(saved)
    return found


def written_by(store: Store, workflow: str, path: str, pattern: str = "*") -> list[Garbage]:
    """The results of `workflow`'s nodes matching `pattern` whose meta names the file `path`
    (as warnings and gc show it), as items `remove_garbage` removes: `fusec storage rm --source`."""
    results = store.list(workflow, pattern)
    saved = store.metas(workflow, [(r.node, r.key) for r in results])
    return [Garbage("unreferenced", workflow, r.node, r.key, r.size)
            for r, found in zip(results, saved, strict=True) if (who := owner(found)) is not None and who.path == path]


def forget(store: Store, workflow: str, path: str) -> None:
    """The markers of the file `path` in `workflow` (its results are gone)."""
    for source in store.sources(workflow):
        if source.path == path:
            store.remove_source(workflow, source)


def forget_former(store: Store, pruning: Pruning, me: Source | None) -> None:
    """After the garbage is removed: `me`'s markers in the workflows it no longer writes."""
    if me is None:
        return
    for workflow in pruning.former:
        for source in store.sources(workflow):
            if source.same_file(me):
                store.remove_source(workflow, source)
