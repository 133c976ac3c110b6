"""One node, wherever it runs: the sequence every target calls.

    job = NodeJob(workflow, name, options, store_url, key, meta)
    found, value = load(job)                  # a stored result, or (False, None)
    value = run(job, fn, args, kwargs)        # invoke under the options, then keep the result

`run` is the whole sequence: environment, setup and seed before the call,
the timeout around it, retries (runtime.invoke), then the result saved to
the store and, with `always_read`, read back from it. Every failure is a
NodeFailed naming the node, with the same text on every target. Locally the
executor calls it in order; a Ray task, a Prefect task and a KFP step call
it where they run: backends only move work and results.

A NodeJob is a plain tuple (it pickles several times faster than a class
instance) and holds only what the node needs: a Ray task carries it as its
first argument.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from . import shared, storage
from .invoke import NodeFailed, count_interrupts, invoke
from .storage import StorageWarning, Store


class NodeJob(NamedTuple):
    """What one node needs wherever it runs.

    options: what the runtime does around the call (seed, setup, env, timeout,
    retries: the target has left out what it does itself) and `always_read`.
    store: the store's URL when the result is kept, else None. key: the cache
    key. meta: what went into the key (runtime.explain.describe_key), saved
    beside the result for `fusec explain`."""

    workflow: str
    name: str
    options: dict[str, Any]
    store: str | None = None
    key: str | None = None
    meta: dict[str, Any] | None = None
    stored_as: str | None = None  # where the result is kept in `workflow`, when not as `name` (a used workflow's node)

    @property
    def address(self) -> str:
        return self.stored_as or self.name


class StoreRoundTripError(Exception):
    """`always_read`: a result did not survive a round trip through storage."""


_stores: dict[str, Store] = {}  # one per URL per process (a Ray worker, a Prefect task runner's process)


def store_at(url: str) -> Store:
    """The store at `url`, opened once per process."""
    store = _stores.get(url)
    if store is None:
        store = _stores[url] = storage.open_store(url)
    return store


def run(job: NodeJob, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], store: Store | None = None,
        warn: Callable[[str], None] | None = None) -> Any:
    """Call the node under its options and keep its result: the value its readers get."""
    count_interrupts()  # a step of its own (a KFP step, a Prefect task): Ctrl-C told from the node's own
    value = invoke(job.name, fn, args, kwargs, job.options)
    return keep(job, value, store, warn) if job.store is not None else value


def keep(job: NodeJob, value: Any, store: Store | None = None, warn: Callable[[str], None] | None = None) -> Any:
    """Save the result; with always_read, the value read back from the store.

    A result that cannot be saved is a warning (`warn`: where the target shows it;
    default a StorageWarning) and the run goes on, the next run computing it
    again; unless always_read asks for the round trip: then it fails the node."""
    store, key = _store_and_key(job, store)
    always_read = job.options.get("always_read")
    try:
        store.save(job.workflow, job.address, key, value, meta=job.meta)
    except Exception as exc:
        if always_read:
            raise NodeFailed(job.name, exc) from exc
        (warn or _storage_warning)(f"could not store the result of node {job.name!r} ({type(exc).__name__}: {exc}); "
                                   "the run goes on and the next run computes it again (give the node `cache: false` "
                                   "if that is expected)")
        return value
    shared.note(store, job.workflow, job.meta, warn or _storage_warning)  # once per process: the file's marker
    if not always_read:
        return value
    found, value = store.load(job.workflow, job.address, key)
    if not found:
        raise NodeFailed(job.name, StoreRoundTripError(f"its result was stored but could not be read back from "
                                                       f"{store.url}"))
    return value


def _storage_warning(message: str) -> None:
    warnings.warn(message, StorageWarning, stacklevel=4)


def load(job: NodeJob, store: Store | None = None) -> tuple[bool, Any]:
    """(True, the stored result) or (False, None): absent, or damaged (the store warned)."""
    store, key = _store_and_key(job, store)
    return store.load(job.workflow, job.address, key)


def _store_and_key(job: NodeJob, store: Store | None) -> tuple[Store, str]:
    """Where a kept result goes: `store`, else the job's own, and its key (a job whose
    result is kept names both: see cacheable)."""
    assert job.key is not None, "a job whose result is kept has a key"
    if store is not None:
        return store, job.key
    assert job.store is not None, "a job whose result is kept names its store"
    return store_at(job.store), job.key


def cacheable(kind: str, options: dict[str, Any], store: Any) -> bool:
    """Whether a node's result is kept: there is a store, the node is not an object
    (an object lives where its methods run), and its options do not say `cache: false`."""
    return store is not None and kind != "object" and options.get("cache", True)
