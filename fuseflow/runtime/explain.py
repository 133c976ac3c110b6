"""Why a node will run: `fusec explain` compares each key with what was stored.

When a result is saved, the executor saves beside it what went into its key
(``describe_key``): the callable and its source hash, each argument's
canonical text, the params read, the keys of the upstream results, the seed.
On a cached rerun nothing of this is computed; it costs a few microseconds
per saved result, and a rerun only ever reads it back in ``explain``.

    >>> rows = explain(prepare(wf, params, settings))      # doctest: +SKIP
    >>> rows[0]
    Row(node='x', status='run', reasons=['param a changed: 1 -> 5'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import ir
from ..ir import referenced_nodes, referenced_params
from ..ir.record import field, record
from . import plan as planning
from .graph import Node, Workflow
from .keys import callable_identity, fingerprint
from .shared import owner
from .storage.names import shown

if TYPE_CHECKING:  # prepare imports this module: describe_key is part of a plan
    from .prepare import RunPlan
    from .storage import Source, Store

META_VERSION = 1
STORED, RUN, NOT_NEEDED, SKIPPED = "stored", "run", "not needed", "skipped"


def describe_key(wf: Workflow, params: dict[str, Any], keys: dict[str, str], name: str,
                 options: dict[str, Any] | None = None) -> dict[str, Any]:
    """What went into the key of node ``name``: JSON-able, saved with its result."""
    node = wf.nodes[wf.index[name]]
    values = (*node.args, *node.kwargs.values())
    upstream = {ref: keys[ref] for value in values for ref in referenced_nodes(value)}
    if node.kind == "method":
        before = wf.topology.previous[name]
        upstream[before] = keys[before]
    read = {p: params[p] for value in values for p in referenced_params(value)}
    meta: dict[str, Any] = {
        "v": META_VERSION,
        "fn": callable_identity(node),
        "args": [_described(v, params, keys) for v in node.args],
        "kwargs": {k: _described(v, params, keys) for k, v in node.kwargs.items()},
        "params": read,
        "upstream": upstream,
    }
    seed = (options if options is not None else node.options).get("seed")
    if seed is not None:
        meta["seed"] = seed
    return meta


def _described(value: ir.Value, params: dict[str, Any], keys: dict[str, str]) -> str:
    """An argument as the meta keeps it: its key text, a param's marked `$` (its change is
    reported as the param's, not as an argument's; the key does not tell it from a constant)."""
    text = fingerprint(value, params, keys)
    return "$" + text if type(value) is ir.ParamRef and not text.startswith("$") else text


@record
class Row:
    """One node of the report: ``status`` is stored, run or not needed."""

    node: str
    status: str
    reasons: list[str] = field(default_factory=list)
    key: str = ""


def explain(plan: RunPlan) -> list[Row]:
    """A row per node, in order: what a run of this plan (runtime.prepare.RunPlan)
    would do, and why."""
    wf, store = plan.wf, plan.store
    stored = {n.name: plan.cacheable[i] and store.has(*wf.stored_at(n.name), plan.keys[n.name])
              for i, n in enumerate(wf.nodes)} if store is not None else {}
    wanted = [*planning.wanted_nodes(wf), *(name for fanout in wf.fanouts for name in fanout.reads),
              *(name for decision in wf.decisions for name in decision.reads())]
    states = planning.plan(wf, wanted, (lambda name: stored[name]) if store is not None else None,
                           plan.forced)  # what is stored is asked once per node
    waiting = _waiting(wf)
    rows = []
    for i, node in enumerate(wf.nodes):
        key = plan.keys.get(node.name, "")
        state = states[node.name]
        if node.name in waiting:
            rows.append(Row(node.name, RUN, [waiting[node.name]]))
        elif state == planning.LOAD:
            rows.append(Row(node.name, STORED, [], key))
        elif state == planning.SKIP:
            why = "an object: built only when one of its calls runs" if node.kind == "object" else \
                "nothing that runs reads it"
            rows.append(Row(node.name, STORED if stored.get(node.name) else NOT_NEEDED,
                            [] if stored.get(node.name) else [why], key))
        else:
            rows.append(Row(node.name, RUN, _why_run(plan, node, i, stored, states), key))
    for fanout in wf.fanouts:  # a run-time loop whose items are not stored: its nodes are not known yet
        for statement in fanout.statements:
            rows.append(Row(".".join((statement, *fanout.keys, "*")), RUN,
                            [f"one per item of {fanout.where}, known once it has run"]))
    rows.extend(Row(name, NOT_NEEDED, ["no returned output needs it, nor the run-time loop or `if` it waits for"])
                for name in wf.unneeded)  # runtime.unneeded: left out before the stages
    rows.extend(Row(name, SKIPPED, ["in a branch not taken"]) for name in wf.skipped)
    return rows


def _waiting(wf: Workflow) -> dict[str, str]:
    """Nodes that wait for a run-time loop whose items are not stored, or for a decision whose
    tests read results not stored, with why they (may) run."""
    if not wf.fanouts and not wf.decisions:
        return {}
    from .stages import waiting_nodes  # deferred: only a workflow with run-time loops or `if`s left

    what = []
    if wf.fanouts:
        what.append(f"the run-time loop over {', '.join(sorted({fanout.where for fanout in wf.fanouts}))}, whose "
                    "items are not stored")
    pending = [decision.where for decision in wf.decisions if not decision.when]
    if pending:  # (a run-time loop's `if` is one per item: the first few named)
        more = f" and {len(pending) - SOME} more" if len(pending) > SOME else ""
        what.append(f"{'; '.join(pending[:SOME])}{more}, whose tests read results not stored")
    why = f"after {'; '.join(what)}"
    where = {decision.name: decision.where for decision in wf.decisions}
    own: dict[str, str] = {}  # a node in a branch: the outermost `if` it waits for
    for decision in wf.decisions:
        for name in decision.branches:
            if name not in own or not decision.when:
                own[name] = f"in a branch of {decision.where}, whose tests read results not stored"
    for node in wf.nodes:  # one reading the name one `if` chooses: that `if`
        if node.name not in own:
            chosen = {found.decision for value in (*node.args, *node.kwargs.values())
                      for found in ir.walk(value) if type(found) is ir.OneOf and found.decision in where}
            if len(chosen) == 1:
                own[node.name] = f"after {where[chosen.pop()]}, whose tests read results not stored"
    return {name: own.get(name, why) for name in waiting_nodes(wf)}


SOME = 3  # the decisions a reason names before it counts the rest


def _why_run(plan: RunPlan, node: Node, i: int, stored: dict[str, bool], states: dict[str, str]) -> list[str]:
    wf, name, forced, store = plan.wf, node.name, plan.forced, plan.store
    if store is None:
        return ["no storage (--no-cache)"]
    if name in forced:
        upstream = _forced_upstream(wf, name, forced)
        before = wf.topology.previous.get(name)
        reads = [up for up in upstream if up != before and up in wf.topology.reads[i]]
        follows = [up for up in upstream if up != before and up not in reads]  # its `after`
        parts = ([f"it reads {', '.join(reads)}"] if reads else []) + \
            ([f"it follows {before} on the same object"] if before in upstream else []) + \
            ([f"it runs after {', '.join(follows)}"] if follows else [])
        return [f"forced by --rerun ({'; '.join(parts)})" if parts else "forced by --rerun"]
    if node.kind == "object":
        return ["an object: built in every run that calls its methods"]
    if not plan.cacheable[i]:
        return ["its results are not stored (cache: false)"]
    if stored.get(name):
        later = [n.name for n in wf.nodes if n.kind == "method" and wf.topology.previous.get(n.name) == name
                 and states.get(n.name) == "run"]
        return [f"stored, but the later call {later[0]!r} on the same object runs, so this one is replayed"
                if later else "stored, but replayed for a later call on the same object"]
    return changes(plan, store, i, states)


def _forced_upstream(wf: Workflow, name: str, forced: set[str]) -> list[str]:
    """The forced nodes that ``name`` reads, follows on its object or runs after (empty when the
    --rerun regex matched it directly)."""
    i = wf.index[name]
    upstream = [*wf.topology.reads[i], *([wf.topology.previous[name]] if name in wf.topology.previous else []),
                *wf.topology.after[i]]
    return [up for up in dict.fromkeys(upstream) if up in forced]


def changes(plan: RunPlan, store: Store, i: int, states: dict[str, str]) -> list[str]:
    """What differs between this run's key of node i and the closest stored one in `store` (the plan's)."""
    wf = plan.wf
    name = wf.nodes[i].name
    workflow, stored_as = wf.stored_at(name)
    results = [r for r in store.list(workflow, stored_as) if r.node == stored_as]
    if not results:
        return ["never stored"]
    now = plan.describe(i)
    best: list[str] | None = None
    closest: dict[str, Any] = {}
    for result in reversed(results):  # newest first: ties go to the most recent result
        before = store.meta(workflow, stored_as, result.key)
        if before is None:
            continue
        diff = diff_meta(before, now, states)
        if best is None or len(diff) < len(best):
            best, closest = diff, before
    if best is None:
        return [f"stored under {plural(len(results), 'other key')}, saved without a description of the key"]
    return (best or ["stored under another key (the same inputs: written by another fuseflow version?)"]) + \
        _other_file(closest, plan.origin)


def _other_file(before: dict[str, Any], origin: Source | None) -> list[str]:
    """When the stored result compared was written by another .fuse file (runtime.shared), say which."""
    writer = owner(before)
    if writer is None or origin is None or writer.same_file(origin):
        return []
    return [f"the closest stored result was written by another file, {shown(writer.path)}"]


def diff_meta(before: dict[str, Any], now: dict[str, Any], states: dict[str, str]) -> list[str]:
    """Human-readable differences between two key descriptions, most telling first."""
    out = []
    if before.get("fn") != now.get("fn"):
        out.append(_fn_change(str(before.get("fn", "?")), str(now.get("fn", "?"))))
    old_params, new_params = before.get("params", {}), now.get("params", {})
    for p in sorted(set(old_params) | set(new_params)):
        if p not in old_params:
            out.append(f"now reads param {p} = {new_params[p]!r}")
        elif p not in new_params:
            out.append(f"no longer reads param {p}")
        elif old_params[p] != new_params[p]:
            out.append(f"param {p} changed: {old_params[p]!r} -> {new_params[p]!r}")
    old_up, new_up = before.get("upstream", {}), now.get("upstream", {})
    for up in sorted(set(old_up) | set(new_up)):
        if up not in old_up:
            out.append(f"now reads {up}")
        elif up not in new_up:
            out.append(f"no longer reads {up}")
        elif old_up[up] != new_up[up]:
            out.append(f"upstream {up} changed" + (" (it runs)" if states.get(up) == "run" else ""))
    out.extend(_argument_changes(before, now))
    if before.get("seed") != now.get("seed"):
        out.append(f"seed changed: {before.get('seed')!r} -> {now.get('seed')!r}")
    return out


def _fn_change(old: str, new: str) -> str:
    old_name, _, old_hash = old.rpartition(":")
    new_name, _, new_hash = new.rpartition(":")
    if old.startswith("method:") or new.startswith("method:"):
        return f"now calls {new} instead of {old}"
    if old_name == new_name:
        return f"the source of {new_name.replace(':', '.', 1)} changed"
    return f"now calls {new_name.replace(':', '.', 1)} instead of {old_name.replace(':', '.', 1)}"


def _argument_changes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Literal arguments that changed (params and upstream results are reported above)."""
    out = []
    old_args, new_args = before.get("args", []), now.get("args", [])
    for j in range(max(len(old_args), len(new_args))):
        old = old_args[j] if j < len(old_args) else None
        new = new_args[j] if j < len(new_args) else None
        if old != new and not _only_refs(old, new):
            out.append(f"argument {j + 1} changed: {_show(old)} -> {_show(new)}")
    old_kw, new_kw = before.get("kwargs", {}), now.get("kwargs", {})
    for k in sorted(set(old_kw) | set(new_kw)):
        if old_kw.get(k) != new_kw.get(k) and not _only_refs(old_kw.get(k), new_kw.get(k)):
            out.append(f"argument {k}= changed: {_show(old_kw.get(k))} -> {_show(new_kw.get(k))}")
    return out


def _only_refs(old: str | None, new: str | None) -> bool:
    """Both texts stand for an upstream result or a param (their changes are told apart)."""
    return bool(old and new and old[:1] in "@$" and new[:1] in "@$")


def _show(text: str | None) -> str:
    if text is None:
        return "(none)"
    kind, _, value = text.partition(":")
    shown = value if kind in ("int", "float", "str", "bool", "NoneType") else text
    return shown if len(shown) <= 60 else shown[:57] + "..."


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
