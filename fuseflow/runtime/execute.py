"""The local executor: run a Workflow's nodes in order on this machine.

    outputs = run(wf, {"a": 5}, RunSettings(storage="file:results"))

Each result is stored as soon as it exists (so a failure or a kill later keeps
it) and freed as soon as no remaining node needs it (so a long chain of large
arrays holds one or two of them, not all).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from . import plan as planning
from .graph import ParamRef, Ref, Struct, Workflow
from .invoke import invoke
from .overrides import Override, effective_options
from .params import resolve as resolve_params
from .progress import Progress, make_progress
from .storage import Store, StorageWarning, open_store

DEFAULT_STORE = ".fuseflow"


@dataclass
class RunSettings:
    """How to run: where results are kept and which to recompute.

    storage: a URL or Store; None means the workflow's own `storage`, else a
    `.fuseflow` folder in the workflow's home. no_cache: neither load nor store.
    rerun: regex of nodes to recompute (with everything downstream).
    """

    storage: Any = None
    no_cache: bool = False
    rerun: str | None = None
    progress: bool | None = None
    overrides: list[Override] = field(default_factory=list)
    param_texts: dict[str, str] = field(default_factory=dict)


def open_workflow_store(wf: Workflow, settings: RunSettings) -> Store | None:
    if settings.no_cache:
        return None
    if settings.storage is not None:
        return open_store(settings.storage)  # command line: relative to the working directory
    return open_store(wf.storage or DEFAULT_STORE, base_dir=wf.home)


def run(wf: Workflow, params: dict[str, Any], settings: RunSettings) -> dict[str, Any]:
    values = resolve_params(wf.params, params, settings.param_texts)
    store = open_workflow_store(wf, settings)
    with make_progress(settings.progress, len(wf.nodes)) as progress:
        executor = Executor(wf, values, store, [*wf.overrides, *settings.overrides], progress)
        results = executor.run(planning.output_nodes(wf), planning.forced_nodes(wf, settings.rerun))
    return {name: resolve(value, results, values) for name, value in wf.outputs.items()}


class Executor:
    def __init__(self, wf: Workflow, params: dict[str, Any], store: Store | None,
                 overrides: list[Override] = (), progress: Progress | None = None):
        from .keys import compute_keys

        self.wf = wf
        self.params = params
        self.store = store
        self.options = {n.name: effective_options(n.name, n.options, overrides) for n in wf.nodes}
        self.keys = compute_keys(wf, params) if store is not None else {}
        self.progress = progress or Progress()

    def cacheable(self, name: str) -> bool:
        node = self.wf.nodes[self.wf.index[name]]
        return self.store is not None and node.kind != "object" and self.options[name].get("cache", True)

    def is_stored(self, name: str) -> bool:
        return self.cacheable(name) and self.store.has(self.wf.name, name, self.keys[name])

    def run(self, wanted: list[str], forced: set[str] = frozenset()) -> dict[str, Any]:
        """Results of the `wanted` nodes (others are freed on the way)."""
        states = planning.plan(self.wf, wanted, self.is_stored, forced)
        pending = _consumer_counts(self.wf, states, wanted)
        results: dict[str, Any] = {}
        for node in self.wf.nodes:
            state = states[node.name]
            if state == planning.SKIP:
                continue
            if state == planning.LOAD:
                results[node.name] = self.load(node.name)
            else:
                results[node.name] = self.compute(node, results)
                self.release(node, results, pending)
        return results

    def load(self, name: str) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StorageWarning)
            found, value = self.store.load(self.wf.name, name, self.keys[name])
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        if found:
            self.progress.loaded(name)
            return value
        # Vanished or damaged since planning: compute it (and what it needs) after all.
        return Executor.run(self, [name], forced={name})[name]

    def compute(self, node, results: dict[str, Any]) -> Any:
        params = self.params
        args = [resolve(a, results, params) if type(a) in _MARKERS else a for a in node.args]
        kwargs = {k: resolve(v, results, params) if type(v) in _MARKERS else v for k, v in node.kwargs.items()}
        fn = getattr(results[node.object], node.method) if node.kind == "method" else node.fn
        options = self.options[node.name]
        self.progress.started(node.name)
        try:
            value = invoke(node.name, fn, args, kwargs, options)
        except Exception:
            self.progress.failed(node.name)
            raise
        if self.cacheable(node.name):
            self.store.save(self.wf.name, node.name, self.keys[node.name], value)
            if options.get("always_read"):
                value = self.load(node.name)
        self.progress.finished(node.name)
        return value

    def release(self, node, results: dict[str, Any], pending: dict[str, int]) -> None:
        for name in _distinct_inputs(node):
            count = pending[name] - 1
            pending[name] = count
            if count == 0:
                del results[name]


_MARKERS = (Ref, ParamRef, Struct)


def _distinct_inputs(node) -> set[str]:
    names = set(node.inputs())
    if node.kind == "method":
        names.add(node.object)
    return names


def _consumer_counts(wf: Workflow, states: dict[str, str], wanted: list[str]) -> dict[str, int]:
    """How many running nodes read each result; wanted results are pinned (+1)."""
    counts: dict[str, int] = dict.fromkeys(wanted, 1)
    for node in wf.nodes:
        if states[node.name] == planning.RUN:
            for name in _distinct_inputs(node):
                counts[name] = counts.get(name, 0) + 1
    return counts


def resolve(value: Any, results: dict[str, Any], params: dict[str, Any]) -> Any:
    """An argument's value: markers replaced by results and params, indexing applied."""
    kind = type(value)
    if kind is Ref:
        found = results[value.node]
        for key in value.path:
            found = found[key]
        return found
    if kind is ParamRef:
        found = params[value.name]
        for key in value.path:
            found = found[key]
        return found
    if kind is Struct:
        inner = value.value
        if isinstance(inner, dict):
            return {k: resolve(v, results, params) for k, v in inner.items()}
        return [resolve(v, results, params) for v in inner]
    return value
