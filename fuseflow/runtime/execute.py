"""The local executor: run a Workflow's nodes in order on this machine.

    outputs = run(wf, {"a": 5}, RunSettings(storage="file:results"))

Each result is stored as soon as it exists (so a failure or a kill later keeps
it) and freed as soon as no remaining node needs it (so a long chain of large
arrays holds one or two of them, not all).

Everything a run does per node is worked out before the first node runs
(plan, cache keys, options, consumer counts), so the loop itself only calls,
stores and frees: the runtime adds a few microseconds per node.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from . import overrides as overriding
from . import plan as planning
from .explain import describe_key
from .graph import ParamRef, Ref, Struct, Workflow
from .invoke import ACTIVE_OPTIONS, NodeFailed, as_failure, count_interrupts, invoke
from .overrides import Override, effective_options
from .params import ParamError, shortened
from .params import resolve as resolve_params
from .progress import Progress, make_progress
from .storage import FileStore, Store, StorageWarning, open_store

DEFAULT_STORE = ".fuseflow"
RUN, LOAD, SKIP = planning.RUN, planning.LOAD, planning.SKIP


@dataclass
class RunSettings:
    """How to run: where results are kept and which to recompute.

    storage: a URL or Store; None means the workflow's own `storage`, else a
    `.fuseflow` folder in the workflow's home. no_cache: neither load nor store.
    rerun: regex of nodes to recompute (with everything downstream).
    progress: None shows it on a terminal only; True or False forces it.
    overrides: options set by regex (`--set`), after the workflow's own.
    param_texts: params as command-line texts, parsed by their declared types.
    """

    storage: Any = None
    no_cache: bool = False
    rerun: str | None = None
    progress: bool | None = None
    overrides: list[Override] = field(default_factory=list)
    param_texts: dict[str, str] = field(default_factory=dict)


def open_workflow_store(wf: Workflow, settings: RunSettings) -> Store | None:
    """The run's store (None with no_cache); ParamError for a URL it cannot open."""
    if settings.no_cache:
        return None
    return open_run_store(settings.storage, wf.storage, wf.home)


def open_run_store(given: Any, own: str | None, home: Any) -> Store:
    """`given` (--storage: relative to the working directory), else the workflow's `own`
    storage, else .fuseflow, both relative to its `home`; ParamError for a URL it cannot open."""
    try:
        if given is not None:
            store = open_store(given)
        else:
            store = open_store(own or DEFAULT_STORE, base_dir=home)
    except (ValueError, NotImplementedError) as exc:
        raise ParamError(f"storage: {exc}") from None
    check_folder(store)
    return store


def check_folder(store: Store) -> None:
    """ParamError for a folder the system refuses to look at (a path too long, a loop of
    links, no permission), before the plan reads it. A folder that does not exist yet
    is made by the first save; one under a file makes each save a warning."""
    if not isinstance(store, FileStore):
        return
    try:
        os.stat(store.root)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise ParamError(f"storage: cannot use {shortened(store.url)}: {exc.strerror or exc}") from None


def run(wf: Workflow, params: dict[str, Any], settings: RunSettings) -> dict[str, Any]:
    """Check the params, overrides and --rerun regex (ParamError before anything
    runs), then run what the outputs need; {output name: value}."""
    values = resolve_params(wf.params, params, settings.param_texts)
    overrides = checked_overrides(wf, settings)
    forced = rerun_nodes(wf, settings.rerun)
    store = open_workflow_store(wf, settings)
    with warnings.catch_warnings():
        # every damaged record, not just the first; the user's own filters still come first
        warnings.filterwarnings("always", category=StorageWarning, append=True)
        with make_progress(settings.progress, label=wf.name) as progress:
            executor = Executor(wf, values, store, overrides, progress)
            results = executor.run(planning.output_nodes(wf), forced)
    return {name: resolve(value, results, values) for name, value in wf.outputs.items()}


def checked_overrides(wf: Workflow, settings: RunSettings) -> list[Override]:
    names = [node.name for node in wf.nodes]
    return [*overriding.check(wf.overrides, names, "query"), *overriding.check(settings.overrides, names, "--set")]


def rerun_nodes(wf: Workflow, pattern: str | None) -> set[str]:
    if not pattern:
        return set()
    overriding.require_match(overriding.compile_regex(pattern, "--rerun"), [n.name for n in wf.nodes], "--rerun")
    return planning.forced_nodes(wf, pattern)


class Executor:
    def __init__(self, wf: Workflow, params: dict[str, Any], store: Store | None,
                 overrides: list[Override] = (), progress: Progress | None = None):
        from .keys import compute_keys

        self.wf = wf
        self.params = params
        self.store = store
        nodes = wf.nodes
        self.options = ([effective_options(n.name, n.options, overrides) for n in nodes] if overrides
                        else [n.options for n in nodes])  # by node index
        self.cacheable = ([node.kind != "object" and options.get("cache", True) for node, options in zip(nodes, self.options)]
                          if store is not None else [False] * len(nodes))
        self.keys = compute_keys(wf, params, self.options) if store is not None else {}
        self.refs = [refs if not options or ACTIVE_OPTIONS.isdisjoint(options) else None
                     for refs, options in zip(wf.topology.refs, self.options)]
        self.progress = progress if progress is not None and progress.live else None  # None: nobody watches
        # the loop's own fast path: plain calls whose result is neither stored nor shown
        self.quick = [refs if node.kind == "call" and not cacheable and self.progress is None else None
                      for node, refs, cacheable in zip(wf.nodes, self.refs, self.cacheable)]

    def is_stored(self, name: str) -> bool:
        return self.cacheable[self.wf.index[name]] and self.store.has(self.wf.name, name, self.keys[name])

    def stored_check(self):
        """What the planner asks; None (nothing is stored) without a store."""
        return self.is_stored if self.store is not None else None

    def run(self, wanted: list[str], forced: set[str] = frozenset()) -> dict[str, Any]:
        """Results of the `wanted` nodes; every other result is freed once its last reader ran."""
        count_interrupts()  # the quick paths below call nodes without invoke
        pending = dict.fromkeys(wanted, 1)  # wanted results are pinned; plan adds their readers
        states = planning.plan(self.wf, wanted, self.stored_check(), forced, readers=pending)
        if self.store is not None:  # a remote store fetches the results to load all at once
            self.store.prefetch(self.wf.name, [(n, self.keys[n]) for n, state in states.items() if state == LOAD])
        if self.progress is not None:
            self.progress.expect(sum(state != SKIP for state in states.values()))
        needs, quick = self.wf.topology.needs, self.quick
        results: dict[str, Any] = {}
        for i, node in enumerate(self.wf.nodes):
            name = node.name
            state = states[name]
            if state == SKIP:
                continue
            if state == LOAD:
                value = self.load(name)
            else:
                refs = quick[i]
                if refs is not None:  # a plain call of whole results, nothing to store or show: inline
                    try:
                        value = node.fn(*map(results.__getitem__, refs))
                    except BaseException as exc:
                        raise as_failure(name, exc) from exc
                else:
                    value = self.compute(i, node, results)
                for done in needs[i]:
                    left = pending[done] - 1
                    if left:
                        pending[done] = left
                    else:
                        del results[done]
            if name in pending:  # somebody reads it (or it is wanted): keep it until then
                results[name] = value
        return results

    def load(self, name: str) -> Any:
        found, value = self.store.load(self.wf.name, name, self.keys[name])
        if found:
            if self.progress is not None:
                self.progress.loaded(name)
            return value
        # Vanished or damaged since planning (the store warned): compute it, and what it needs, after all.
        return self.run([name], forced={name})[name]

    def compute(self, i: int, node, results: dict[str, Any]) -> Any:
        name = node.name
        progress = self.progress
        if progress is not None:
            progress.started(name)
        try:
            fn = node.fn if node.kind != "method" else bound_method(node, results[node.object])
            refs = self.refs[i]
            if refs is not None:  # the common case, kept lean: no options, arguments are results
                try:
                    value = fn(*map(results.__getitem__, refs))
                except BaseException as exc:
                    raise as_failure(name, exc) from exc
            else:
                plain = self.wf.topology.plain[i]  # no argument holds a result or a param
                args, kwargs = (node.args, node.kwargs) if plain else self.arguments(i, node, results)
                value = invoke(name, fn, args, kwargs, self.options[i])
        except BaseException:
            if progress is not None:
                progress.failed(name)
            raise
        if self.cacheable[i]:
            value = self.save(name, value, self.options[i])
        if progress is not None:
            progress.finished(name)
        return value

    def arguments(self, i: int, node, results: dict[str, Any]) -> tuple[list, dict]:
        params = self.params
        try:
            args = [results[a.node] if type(a) is Ref and not a.path else resolve(a, results, params) for a in node.args]
            kwargs = {k: resolve(v, results, params) for k, v in node.kwargs.items()} if node.kwargs else {}
        except IndexingError as exc:
            raise NodeFailed(node.name, exc) from None
        return args, kwargs

    def save(self, name: str, value: Any, options: dict[str, Any]) -> Any:
        """Store the result; with always_read, the value read back from storage."""
        key = self.keys[name]
        try:
            self.store.save(self.wf.name, name, key, value, meta=describe_key(self.wf, self.params, self.keys, name, options))
        except Exception as exc:
            if options.get("always_read"):
                raise NodeFailed(name, exc) from exc
            warnings.warn(f"could not store the result of node {name!r} ({type(exc).__name__}: {exc}); the run goes on "
                          "and the next run computes it again (give the node `cache: false` if that is expected)",
                          StorageWarning, stacklevel=2)
            return value
        if not options.get("always_read"):
            return value
        found, value = self.store.load(self.wf.name, name, key)
        if not found:
            raise NodeFailed(name, StoreRoundTripError(f"its result was stored but could not be read back from {self.store.url}"))
        return value


class StoreRoundTripError(Exception):
    """`always_read`: a result did not survive a round trip through storage."""


def bound_method(node, obj: Any) -> Any:
    try:
        return getattr(obj, node.method)
    except AttributeError as exc:
        raise NodeFailed(node.name, exc) from exc


def resolve(value: Any, results: dict[str, Any], params: dict[str, Any]) -> Any:
    """An argument's value: markers replaced by results and params, indexing applied."""
    kind = type(value)
    if kind is Ref:
        found = results[value.node]
        return index(found, value.path, value.node) if value.path else found
    if kind is ParamRef:
        found = params[value.name]
        return index(found, value.path, f"param {value.name}") if value.path else found
    if kind is Struct:
        inner = value.value
        if isinstance(inner, dict):
            return {k: resolve(v, results, params) for k, v in inner.items()}
        return [resolve(v, results, params) for v in inner]
    return value


class IndexingError(LookupError):
    """An argument like `data[0]` or `parts["x"]` could not be taken from the value."""


def index(found: Any, path: tuple, what: str) -> Any:
    for depth, key in enumerate(path):
        try:
            found = found[key]
        except (LookupError, TypeError) as exc:
            where = what + "".join(f"[{k!r}]" for k in path[:depth])
            raise IndexingError(f"cannot take [{key!r}] of {where} ({type(found).__name__}): {type(exc).__name__}: {exc}") from None
    return found
