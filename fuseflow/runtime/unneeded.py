"""The run-time loops and `if`s no output needs, left out before a run resolves them.

    wf = needed_part(wf)        # runtime.stages, before each stage; a Prefect flow run as it goes

With `return`, a run computes what the returned outputs need and nothing else
(runtime.plan). A run-time loop or an `if` is resolved in stages, before the
rest (runtime.stages): what it iterates or tests runs first. One that no
output needs is therefore left out first, with the nodes that wait for it
(inside its branches, reading its results): what it iterates or tests does
not run for it, and it is neither expanded nor decided, nor are its nodes
reported skipped: they are not needed (Workflow.unneeded, which `fusec explain`
lists as such and `storage gc` keeps), as KFP leaves them out of its pipeline
(ir.needed_nodes). Without `return` (Workflow.run_unread) every node runs, so
nothing is left out.
"""
from __future__ import annotations

from .. import ir
from .graph import FanOut, Workflow
from .plan import wanted_nodes


def needed_part(wf: Workflow) -> Workflow:
    """`wf` without the run-time loops and decisions no wanted node (runtime.plan.wanted_nodes)
    needs, nor the nodes waiting for them; `wf` itself when it needs them all."""
    if wf.run_unread or not (wf.fanouts or wf.decisions):
        return wf
    loops, decisions = _needed(wf)
    if len(loops) == len(wf.fanouts) and len(decisions) == len(wf.decisions):
        return wf
    dropped_loops = [fanout for fanout in wf.fanouts if id(fanout) not in loops]
    dropped = {decision.name for decision in wf.decisions if decision.name not in decisions}
    gone = {node for decision in wf.decisions if decision.name in dropped for node in decision.branches}
    for node, needs, after in zip(wf.nodes, wf.topology.needs, wf.topology.after, strict=True):
        if node.name in gone or not gone.isdisjoint(needs) or not gone.isdisjoint(after) or any(
                _waits(value, dropped, wf.fanouts, loops) for value in (*node.args, *node.kwargs.values())):
            gone.add(node.name)
    made = wf.replaced(nodes=[node for node in wf.nodes if node.name not in gone], outputs=dict(wf.outputs or {}),
                       fanouts=[fanout for fanout in wf.fanouts if id(fanout) in loops],
                       decisions=[decision for decision in wf.decisions if decision.name in decisions])
    made.unneeded = {**wf.unneeded, **dict.fromkeys(node.name for node in wf.nodes if node.name in gone),
                     **dict.fromkeys(name for fanout in dropped_loops for name in fanout.skipped())}
    made.unneeded_decisions = {*wf.unneeded_decisions, *dropped}
    return made


def _needed(wf: Workflow) -> tuple[set[int], set[str]]:
    """(the ids of the run-time loops, the names of the decisions) the wanted nodes need, through
    what they read (a loop's results, a name an `if` assigns), the branches they are in, and what
    those loops and decisions read and are inside of, worked out backwards in one pass."""
    by_name = {decision.name: decision for decision in wf.decisions}
    around: dict[str, list[str]] = {}  # node -> the decisions whose branches hold it
    for decision in wf.decisions:
        for inside in decision.branches:
            around.setdefault(inside, []).append(decision.name)
    needed = set(wanted_nodes(wf))
    loops: set[int] = set()
    decisions: set[str] = set()

    def need_decision(name: str) -> None:
        if name in decisions or name not in by_name:  # (one made already, around a loop's `when`)
            return
        decisions.add(name)
        decision = by_name[name]
        needed.update(decision.reads())
        for branch in decision.when:
            need_decision(branch.decision)

    def need_loop(fanout: FanOut) -> None:
        if id(fanout) in loops:
            return
        loops.add(id(fanout))
        needed.update(fanout.reads)
        for branch in fanout.when:
            need_decision(branch.decision)

    def need_value(value: ir.Value) -> None:
        if type(value) in (ir.Literal, ir.Ref, ir.ParamRef):
            return
        for inner in ir.walk(value):
            if type(inner) is ir.Gathered:
                fanout = _gathering(wf.fanouts, inner)
                if fanout is not None:
                    need_loop(fanout)
            elif type(inner) is ir.OneOf:
                need_decision(inner.decision)

    for value in (wf.outputs or {}).values():
        need_value(value)
    topology = wf.topology
    for i in range(len(wf.nodes) - 1, -1, -1):
        node = wf.nodes[i]
        if node.name not in needed:
            continue
        needed.update(topology.needs[i])
        needed.update(topology.after[i])
        if node.name in topology.previous:
            needed.add(topology.previous[node.name])
        for name in around.get(node.name, ()):
            need_decision(name)
        for value in (*node.args, *node.kwargs.values()):
            need_value(value)
    return loops, decisions


def _gathering(fanouts: list[FanOut], value: ir.Gathered) -> FanOut | None:
    """The run-time loop whose results a Gathered value reads (a statement's or a merged name's)."""
    return next((f for f in fanouts if f.keys == value.keys and (
        value.statement in f.statements or value.statement in f.merged)), None)


def _waits(value: ir.Value, dropped: set[str], fanouts: list[FanOut], loops: set[int]) -> bool:
    """Whether `value` reads a name a dropped decision assigns or the results of a loop not in `loops`."""
    if type(value) in (ir.Literal, ir.Ref, ir.ParamRef):
        return False
    for inner in ir.walk(value):
        if type(inner) is ir.OneOf and inner.decision in dropped:
            return True
        if type(inner) is ir.Gathered:
            fanout = _gathering(fanouts, inner)
            if fanout is not None and id(fanout) not in loops:
                return True
    return False

