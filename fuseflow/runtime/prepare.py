"""A run, decided before its first node: the one setup every target shares.

    plan = prepare(wf, {"a": 5}, RunSettings(storage="file:results"))
    states = plan.states(output_nodes(wf))       # LOAD, RUN or SKIP per node
    job = plan.job(i)                            # what node i needs wherever it runs (runtime.node)

`prepare` checks the params, the option overrides and the --rerun regex
(ParamError, before anything runs), opens the store, works out each node's
effective options, whether its result is kept, and its cache key; a run warns
when other .fuse files wrote results of the same workflow name to the store
(runtime.shared). A run that keeps nothing (--no-cache) has no store, and
loads none of the store's side (storage, keys, runtime.node's saving and
loading, runtime.shared): some 2 ms of a small run's start. The local
executor, the Ray driver, a Prefect flow run, `fusec explain` and `fusec
storage gc` all start from it, so a run means the same everywhere. A plan
pickles (the store travels as its URL), for task runners in other processes.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from ..ir.record import field, fields, record, replace
from . import overrides as overriding
from . import plan as planning
from .graph import Node, Workflow
from .overrides import Override, effective_options
from .params import ParamError, shortened
from .params import resolve as resolve_params

if TYPE_CHECKING:  # for annotations only: the store's side loads when a run has a store
    from .node import NodeJob
    from .storage import Source, Store
    from .summary import Summary

DEFAULT_STORE = ".fuseflow"


@record
class RunSettings:
    """How to run: where results are kept and which to recompute.

    storage: a URL or Store; None means the workflow's own `storage`, else a
    `.fuseflow` folder in the workflow's home. no_cache: neither load nor store.
    rerun: regex of nodes to recompute (with everything downstream).
    progress: None shows it on a terminal only; True or False forces it.
    overrides: options set by regex (`--set`), after the workflow's own.
    param_texts: params as command-line texts, parsed by their declared types.
    summary: filled in with what the run did, node by node (runtime.summary; `--summary`).
    """

    storage: str | os.PathLike[str] | Store | None = None
    no_cache: bool = False
    rerun: str | None = None
    progress: bool | None = None
    overrides: list[Override] = field(default_factory=list)
    param_texts: dict[str, str] = field(default_factory=dict)
    summary: Summary | None = None


# A target's own reading of a node's options under the overrides: the options the
# runtime carries out for that node (Ray keeps its `.options()` keywords apart).
NodeOptions = Callable[[Node, list[Override]], dict[str, Any]]


def _neutral(node: Node, overrides: list[Override]) -> dict[str, Any]:
    return effective_options(node.name, node.options, overrides)


@record
class RunPlan:
    """Everything a run decides up front. Lists are by node index."""

    wf: Workflow
    params: dict[str, Any]
    overrides: list[Override]
    forced: set[str]
    store: Store | None
    options: list[dict[str, Any]]
    cacheable: list[bool]
    keys: dict[str, str]  # empty without a store: nothing is kept, nothing needs a key
    origin: Source | None = None  # the .fuse file, named in each saved result's meta (runtime.shared)
    used_origins: dict[str, Source | None] | None = None  # the same for the files of used workflows, by prefix

    def is_stored(self, name: str) -> bool:
        i = self.wf.index[name]
        if not self.cacheable[i] or self.store is None:
            return False
        return self.store.has(*self.wf.stored_at(name), self.keys[name])

    def states(self, wanted: Iterable[str], forced: AbstractSet[str] | None = None,
               readers: dict[str, int] | None = None, known: AbstractSet[str] = frozenset()) -> dict[str, str]:
        """node -> LOAD, RUN or SKIP for the `wanted` results (see runtime.plan). `known`: results
        the run has already (computed before run-time loops expanded: runtime.fanout), LOAD too."""
        stored = self.is_stored if self.store is not None else None
        forced = self.forced if forced is None else forced
        if known:
            in_store = stored

            def stored(name: str) -> bool:
                return name in known or (in_store is not None and in_store(name))

            forced = forced - known
        return planning.plan(self.wf, wanted, stored, forced, readers, live=known)

    def prefetch(self, states: dict[str, str]) -> None:
        """A remote store fetches the results the plan loads all at once."""
        if self.store is not None:
            by_workflow: dict[str, list[tuple[str, str]]] = {}
            for n, state in states.items():
                if state == planning.LOAD:
                    workflow, stored_as = self.wf.stored_at(n)
                    by_workflow.setdefault(workflow, []).append((stored_as, self.keys[n]))
            for workflow, loaded in by_workflow.items():
                self.store.prefetch(workflow, loaded)

    def describe(self, i: int) -> dict[str, Any]:
        """What went into node i's key, saved beside its result for `fusec explain`."""
        describe_key, source_meta = _describing()
        name = self.wf.nodes[i].name
        meta = describe_key(self.wf, self.params, self.keys, name, self.options[i])
        origin = self.origin
        if self.used_origins and name in self.wf.used_by:  # a used workflow's result is its file's
            origin = self.used_origins[self.wf.used_by[name]]
        if origin is not None:  # not part of the key: which file wrote the result
            meta.update(source_meta(origin))
        return meta

    def job(self, i: int, options: dict[str, Any] | None = None) -> NodeJob:
        """What node i needs wherever it runs; `options`: the runtime's part of its
        options, when the target carries out some itself (default: all of them)."""
        name = self.wf.nodes[i].name
        kept = self.cacheable[i]  # never without a store
        store_url = self.store.url if kept and self.store is not None else None
        workflow, stored_as = self.wf.stored_at(name)
        node_job = _node_job()
        return node_job(workflow, name, self.options[i] if options is None else options,
                        store_url, self.keys.get(name), self.describe(i) if kept else None, stored_as)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with the store as its URL, opened again where the plan arrives
        (a Ray worker, a Prefect task runner's process)."""
        values = {name: getattr(self, name) for name in fields(self)}
        values["store"] = self.store.url if self.store is not None else None
        return _arrived, (values,)


# What the per-node methods above use, imported the first time a plan needs them: a run that
# keeps nothing (--no-cache) never loads runtime.node, shared, explain or keys (some 2 ms of its
# start), and kept once, since an import inside a per-node method costs about a microsecond per node.
@functools.cache
def _node_job() -> type[NodeJob]:
    from .node import NodeJob  # deferred: see above

    return NodeJob


@functools.cache
def _describing() -> tuple[Callable[..., dict[str, Any]], Callable[[Source], dict[str, str]]]:
    # deferred: see above
    from .explain import describe_key
    from .shared import meta

    return describe_key, meta


def _arrived(values: dict[str, Any]) -> RunPlan:
    if values["store"] is not None:
        from .node import store_at  # deferred: the store's side, for a plan that has a store

        values["store"] = store_at(values["store"])
    return RunPlan(**values)


def prepare(wf: Workflow, params: dict[str, Any], settings: RunSettings, *, own: str | None = None,
            node_options: NodeOptions = _neutral, resolve: bool = True, warn_shared: bool = True,
            part: bool = False) -> RunPlan:
    """The run's plan; ParamError for a bad param, override, --rerun regex or storage URL.

    own: a target whose own node options `--set` may set too (Ray's). node_options:
    the target's reading of a node's options under the overrides. resolve: import
    the callables overrides name now (not for a target whose workers import them).
    warn_shared: a StorageWarning when the store holds results of this workflow name
    written by another .fuse file (runtime.shared): every run; not `fusec explain`
    or `fusec storage gc`, which only read the plan. part: the plan of a part of the
    workflow (what run-time loops need before they expand, runtime.fanout): an override
    or a --rerun regex may select nodes of other parts only (the whole is checked)."""
    values = resolve_params(wf.params, params, settings.param_texts)
    overrides = checked_overrides(wf, settings, own=own, resolve=resolve, part=part)
    forced = rerun_nodes(wf, settings.rerun, part=part)
    store = open_workflow_store(wf, settings)
    options = [node_options(node, overrides) for node in wf.nodes] if overrides else [n.options for n in wf.nodes]
    if store is None:  # nothing is kept (runtime.node.cacheable), so nothing needs a key
        return RunPlan(wf, values, overrides, forced, None, options, [False] * len(wf.nodes), {})
    kept, keys, origin, used = _kept(wf, values, options, store, warn_shared)
    return RunPlan(wf, values, overrides, forced, store, options, kept, keys, origin, used)


def _kept(wf: Workflow, values: dict[str, Any], options: list[dict[str, Any]], store: Store,
          warn_shared: bool) -> tuple[list[bool], dict[str, str], Source | None, dict[str, Source | None] | None]:
    """Which results are kept, their keys, the .fuse file that writes them (None for a
    workflow built in Python) and the files of the workflows it uses, by prefix (None when
    it uses none); warn_shared: as prepare's."""
    # deferred: a run that keeps nothing (--no-cache) loads none of the store's side
    from . import shared
    from .keys import compute_keys
    from .node import cacheable

    kept = [bool(cacheable(node.kind, opts, store)) for node, opts in zip(wf.nodes, options, strict=True)]
    keys = compute_keys(wf, values, options)
    origin = shared.origin(wf.source, wf.home)
    if warn_shared:
        shared.warn_if_shared(store, wf.name, origin)
    used = {prefix: shared.used_origin(wf.source, wf.home, source) for prefix, (_, source) in wf.uses.items()}
    return kept, keys, origin, used or None


def checked_overrides(wf: Workflow, settings: RunSettings, *, own: str | None = None,
                      resolve: bool = True, part: bool = False) -> list[Override]:
    """The workflow's own `query(...).set(...)` overrides, then `--set`, checked as a file's options
    are (`part`: prepare's)."""
    names = None if part else [*(node.name for node in wf.nodes), *wf.skipped]  # a branch not taken: a node still
    return [*overriding.check(wf.overrides, names, "query", own=own, resolve=resolve),
            *overriding.check(settings.overrides, names, "--set", own=own, resolve=resolve)]


def rerun_nodes(wf: Workflow, pattern: str | None, part: bool = False) -> set[str]:
    """--rerun REGEX: the matching nodes and everything downstream; ParamError for a bad regex
    (`part`: prepare's)."""
    if not pattern:
        return set()
    regex = overriding.compile_regex(pattern, "--rerun")
    if not part:
        overriding.require_match(regex, [*(n.name for n in wf.nodes), *wf.skipped], "--rerun")
    return planning.forced_nodes(wf, pattern)


def one_store(wf: Workflow, settings: RunSettings) -> RunSettings:
    """`settings` with the run's store opened, for a workflow run in stages (run-time loops, `if`s):
    every stage's plan reads the one store, whose index is read once, not once per stage.
    ParamError for a URL it cannot open."""
    if settings.no_cache or not (wf.fanouts or wf.decisions):
        return settings
    from .storage import Store  # deferred: a run that keeps nothing opens no store

    if isinstance(settings.storage, Store):
        return settings
    return replace(settings, storage=open_workflow_store(wf, settings))


def open_workflow_store(wf: Workflow, settings: RunSettings) -> Store | None:
    """The run's store (None with no_cache); ParamError for a URL it cannot open."""
    if settings.no_cache:
        return None
    return open_run_store(settings.storage, wf.storage, wf.home)


def open_run_store(given: str | os.PathLike[str] | Store | None, own: str | None,
                   home: str | os.PathLike[str] | None) -> Store:
    """`given` (--storage: relative to the working directory), else the workflow's `own`
    storage, else .fuseflow, both relative to its `home`; ParamError for a URL it cannot open."""
    from . import storage  # deferred: a run that keeps nothing (--no-cache) opens no store

    try:
        if given is not None:
            store = storage.open_store(given)
        else:
            store = storage.open_store(own or DEFAULT_STORE, base_dir=home)
    except (ValueError, NotImplementedError) as exc:
        raise ParamError(f"storage: {exc}") from None
    check_folder(store)
    return store


def check_folder(store: Store) -> None:
    """ParamError for a folder the system refuses to look at (a path too long, a loop of
    links, no permission), before the plan reads it. A folder that does not exist yet
    is made by the first save; one under a file makes each save a warning."""
    from .storage import FileStore  # deferred: loaded by open_run_store already; the file store's own check

    if not isinstance(store, FileStore):
        return
    try:
        os.stat(store.root)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise ParamError(f"storage: cannot use {shortened(store.url)}: {exc.strerror or exc}") from None
