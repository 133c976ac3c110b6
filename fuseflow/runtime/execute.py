"""The local executor: run a Workflow's nodes in order on this machine.

    outputs = run(wf, {"a": 5}, RunSettings(storage="file:results"))

Each result is stored as soon as it exists (so a failure or a kill later keeps
it) and freed as soon as no remaining node needs it (so a long chain of large
arrays holds one or two of them, not all).

Everything a run does per node is worked out before the first node runs
(plan, cache keys, options, consumer counts), so the loop itself only calls,
stores and frees: the runtime adds a few microseconds per node. A run that
keeps nothing (--no-cache) never loads the storage side (runtime.node's
loading and saving, the storage package): part of what a small run's start
costs.
"""
from __future__ import annotations

import warnings
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from .. import ir
from . import plan as planning
from .graph import Node, Workflow
from .invoke import ACTIVE_OPTIONS, IndexingError, NodeFailed, as_failure, count_interrupts, index, invoke
from .params import resolve as resolve_params
from .prepare import RunPlan, RunSettings, one_store, prepare
from .progress import Progress, make_progress

if TYPE_CHECKING:  # for annotations only: a run without --summary never loads it
    from .summary import Summary

RUN, LOAD, SKIP = planning.RUN, planning.LOAD, planning.SKIP


def run(wf: Workflow, params: dict[str, Any], settings: RunSettings) -> dict[str, Any]:
    """Check the params, overrides and --rerun regex (ParamError before anything
    runs), then run what the outputs need; {output name: value}."""
    if wf.finals:  # `finally`: the rest first, then its nodes, whatever the rest did (runtime.final)
        from .final import with_finally  # deferred: only a workflow with `finally` loads it

        return with_finally(wf, params, settings, run)
    known: dict[str, Any] = {}
    if wf.fanouts or wf.decisions:  # run-time loops and `if`s: what they read runs first (runtime.stages)
        from .stages import expanded  # deferred: a workflow without them never loads their engine

        values = resolve_params(wf.params, params, settings.param_texts)
        settings = one_store(wf, settings)
        begun = wf
        wf, known = expanded(wf, values, lambda part, wanted, done: _run(part, params, settings, wanted, done, True))
        if settings.summary is not None:
            settings.summary.decided(wf, begun)
    plan = prepare(wf, params, settings)
    results = _run(wf, params, settings, planning.wanted_nodes(wf), known, False, plan)
    assert wf.outputs is not None, "Workflow.__post_init__ fills in the default outputs"
    return {name: resolve(value, results, plan.params) for name, value in wf.outputs.items()}


def _run(wf: Workflow, params: dict[str, Any], settings: RunSettings, wanted: list[str], known: dict[str, Any],
         part: bool, plan: RunPlan | None = None) -> dict[str, Any]:
    """The `wanted` results of `wf` (`part`: a part of the workflow a run-time loop needs first)."""
    plan = plan or prepare(wf, params, settings, part=part, warn_shared=not part)
    with warnings.catch_warnings():
        if plan.store is not None:  # every damaged record, not just the first; the user's own filters still come first
            from .storage import StorageWarning  # deferred: a run that keeps nothing reads no record

            warnings.filterwarnings("always", category=StorageWarning, append=True)
        with make_progress(settings.progress, label=wf.name) as progress:
            return Executor(plan, progress, known, settings.summary).run(wanted, plan.forced)


class Executor:
    """The local backend: the plan's nodes in order, in this process."""

    def __init__(self, plan: RunPlan, progress: Progress | None = None, known: dict[str, Any] | None = None,
                 summary: Summary | None = None):
        self.plan = plan
        self.summary = summary  # told what each run computes and loads (--summary), when somebody asks
        self.known = known or {}  # results the run has already (runtime.fanout): taken, not loaded or computed
        self.wf = plan.wf
        self.params = plan.params
        self.store = plan.store
        self.options = plan.options
        self.cacheable = plan.cacheable
        self.keys = plan.keys
        self.refs = [refs if not options or ACTIVE_OPTIONS.isdisjoint(options) else None
                     for refs, options in zip(self.wf.topology.refs, self.options, strict=True)]
        if plan.store is not None:  # loading and keeping results, bound once: a run that keeps nothing never loads them
            from . import node as node_run  # deferred: see the module docstring

            self.load_result, self.keep_result = node_run.load, node_run.keep
        self.progress = progress if progress is not None and progress.live else None  # None: nobody watches
        # the loop's own fast path: plain calls whose result is neither stored nor shown
        self.quick = [refs if node.kind == "call" and not cacheable and self.progress is None else None
                      for node, refs, cacheable in zip(self.wf.nodes, self.refs, self.cacheable, strict=True)]

    def run(self, wanted: list[str], forced: AbstractSet[str] = frozenset()) -> dict[str, Any]:
        """Results of the `wanted` nodes; every other result is freed once its last reader ran."""
        count_interrupts()  # the quick paths below call nodes without invoke
        pending = dict.fromkeys(wanted, 1)  # wanted results are pinned; plan adds their readers
        states = self.plan.states(wanted, forced, readers=pending, known=self.known.keys())
        self.plan.prefetch({name: state for name, state in states.items() if name not in self.known})
        if self.summary is not None:
            self.summary.planned(states, self.known.keys())
        if self.progress is not None:
            self.progress.expect(sum(state != SKIP for state in states.values()))
            if self.wf.skipped:
                self.progress.skipped(self.wf.skipped)
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
                    assert node.fn is not None, "a call has its callable"
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
        if name in self.known:
            return self.known[name]
        found, value = self.load_result(self.plan.job(self.wf.index[name]), self.store)
        if found:
            if self.progress is not None:
                self.progress.loaded(name)
            return value
        # Vanished or damaged since planning (the store warned): compute it, and what it needs, after all.
        return self.run([name], forced={name})[name]

    def compute(self, i: int, node: Node, results: dict[str, Any]) -> Any:
        name = node.name
        progress = self.progress
        if progress is not None:
            progress.started(name)
        try:
            fn = node.fn if node.fn is not None else bound_method(node, results)  # only a method call has no fn
            refs = self.refs[i]
            if refs is not None:  # the common case, kept lean: no options, arguments are results
                try:
                    value = fn(*map(results.__getitem__, refs))
                except BaseException as exc:
                    raise as_failure(name, exc) from exc
            else:
                literals = self.wf.topology.literals[i]  # no argument holds a result or a param
                args, kwargs = literals if literals is not None else self.arguments(i, node, results)
                value = invoke(name, fn, args, kwargs, self.options[i])
        except BaseException:
            if progress is not None:
                progress.failed(name)
            raise
        if self.cacheable[i]:
            value = self.keep_result(self.plan.job(i), value, self.store)
        if progress is not None:
            progress.finished(name)
        return value

    def arguments(self, i: int, node: Node, results: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        params = self.params
        try:
            args = [results[a.node] if type(a) is ir.Ref and not a.path else resolve(a, results, params)
                    for a in node.args]
            kwargs = {k: resolve(v, results, params) for k, v in node.kwargs.items()} if node.kwargs else {}
        except IndexingError as exc:
            raise NodeFailed(node.name, exc) from None
        return args, kwargs


def bound_method(node: Node, results: dict[str, Any]) -> Any:
    """The method a method call calls, on its object (the object node's result)."""
    assert node.object is not None and node.method is not None, "method() names both"
    obj = results[node.object]
    try:
        return getattr(obj, node.method)
    except AttributeError as exc:
        raise NodeFailed(node.name, exc) from exc


def resolve(value: ir.Value, results: dict[str, Any], params: dict[str, Any]) -> Any:
    """An argument's value: results and params read, indexing applied, lists, dicts
    and families built (a family is a dict keyed by loop key)."""
    if type(value) is ir.Literal:
        return value.value
    if type(value) is ir.Ref:
        found = results[value.node]
        return index(found, value.path, value.node) if value.path else found
    if type(value) is ir.ParamRef:
        found = params[value.name]
        return index(found, value.path, f"param {value.name}") if value.path else found
    if type(value) is ir.ListOf:
        return [resolve(v, results, params) for v in value.items]
    if type(value) is ir.DictOf:
        return {k: resolve(v, results, params) for k, v in value.items}
    if type(value) is ir.Family:
        return {k: resolve(v, results, params) for k, v in value.members}
    raise TypeError(f"not a value the runtime resolves: {value!r}")
