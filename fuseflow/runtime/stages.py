"""What a workflow decides as it runs, resolved in stages: run-time loops and conditions.

    wf, known = expanded(wf, params, run_part)     # every target, before its own run

A workflow with run-time loops (Workflow.fanouts) or `if`s (Workflow.decisions)
is run in stages: the nodes that a loop's iterable or a decision's tests read
run first (`run_part`, the target's own executor, on the part of the graph
that waits for neither), then the loops whose items are known are expanded
(runtime.fanout) and the decisions made (runtime.conditions), and so on until
none is left; the target then runs the whole, now static, graph. The
results the stages computed that the rest reads are handed on (`known`), so
nothing runs twice even when nothing is stored; with a store, they are
stored as every result is, and a rerun loads them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ir
from .conditions import decide, ready_decisions, taken_branch, waiting_on_decisions
from .fanout import Fetch, ItemsUnknown, expand_one, handed_on, items_of
from .fanout import waiting_nodes as reading_loops
from .graph import Decision, FanOut, Workflow
from .unneeded import needed_part

# run_part(workflow, wanted, known): the results of the `wanted` nodes of `workflow` (a part of
# the whole with nothing left to decide in it), with `known` results not computed again.
RunPart = Callable[[Workflow, list[str], dict[str, Any]], dict[str, Any]]


def expanded(wf: Workflow, params: dict[str, Any], run_part: RunPart,
             fetch: Fetch | None = None) -> tuple[Workflow, dict[str, Any]]:
    """`wf` with every run-time loop expanded and every decision made (those no output needs left out
    first: runtime.unneeded), and the results computed on the way that the rest of the run reads (by
    node name), as run_part gave them."""
    known: dict[str, Any] = {}
    while (wf := needed_part(wf)).fanouts or wf.decisions:  # (with `return`, only those an output needs)
        part, wanted, loops, decisions = next_stage(wf)
        try:
            results = run_part(part, wanted, known) if wanted else {}
        except ItemsUnknown:  # (as_stored's) the rest stays as it is
            return wf, known
        known.update({name: results[name] for name in wanted})
        for fanout in loops:
            wf = expand_one(wf, fanout, items_of(fanout, results, params, fetch))
        for decision in decisions:
            wf = decide(wf, decision, taken_branch(decision, results, params, fetch))
    return wf, known


def next_stage(wf: Workflow) -> tuple[Workflow, list[str], list[FanOut], list[Decision]]:
    """What runs before the loops that can expand now and the decisions that can be made now
    (those that wait for no other): the part of `wf` that waits for none (a workflow of its own,
    without outputs, loops or decisions), the nodes of it to compute (handed_on), those loops
    and those decisions. `expanded` goes through the stages itself; a target whose run reaches
    them one by one (a Prefect flow body) asks for each stage as it goes."""
    waiting = waiting_nodes(wf)
    loops = [fanout for fanout in wf.fanouts  # (one in an `if` branch: once the branch is taken)
             if not fanout.when and waiting.isdisjoint(ir.referenced_nodes(fanout.iterable))]
    decisions = ready_decisions(wf, waiting)
    assert loops or decisions, "what a loop iterates, or a test reads, is made before it in the file"
    part = [node for node in wf.nodes if node.name not in waiting]
    producers = [name for fanout in loops for name in ir.referenced_nodes(fanout.iterable)]
    producers += [name for decision in decisions for name in decision.reads()]
    stage = wf.replaced(nodes=part, outputs={}, fanouts=[], decisions=[])
    return stage, handed_on(part, producers, wf), loops, decisions


def waiting_nodes(wf: Workflow) -> set[str]:
    """The nodes that wait for a run-time loop (they read its results, ir.Gathered) or a
    decision (they are inside its branches, or read a name they assign, ir.OneOf), and every
    node after them (that reads them, or runs after them)."""
    seeds = (reading_loops(wf) if wf.fanouts else set()) | waiting_on_decisions(wf)
    waiting: set[str] = set()
    for node, reads, after in zip(wf.nodes, wf.topology.needs, wf.topology.after, strict=True):
        if node.name in seeds or not waiting.isdisjoint(reads) or (after and not waiting.isdisjoint(after)):
            waiting.add(node.name)
    return waiting


def unknown_keys(wf: Workflow) -> Callable[[str], bool]:
    """Whether a node's key is not known now: it waits for a run-time loop left unexpanded or a
    decision not made, or is one of such a loop's (named after one of its statements and keys), or
    is in a branch a decision did not take (`storage gc` keeps their results)."""
    # a branch not taken now may be taken by a later run, and what no output needs now needed by another file
    waiting = waiting_nodes(wf) | set(wf.skipped) | set(wf.unneeded)
    prefixes = tuple(".".join((statement, *fanout.keys)) + "." for fanout in wf.fanouts
                     for statement in fanout.statements)
    prefixes += tuple(name[:-1] for name in (*wf.skipped, *wf.unneeded) if name.endswith(".*"))  # a loop not expanded

    def unknown(node: str) -> bool:
        return node in waiting or (bool(prefixes) and node.startswith(prefixes))

    return unknown


def as_stored(wf: Workflow, params: dict[str, Any], plan_part: Callable[[Workflow], Any]) -> Workflow:
    """`wf` with the loops expanded and the decisions made that what is stored allows (`fusec
    explain`, `storage gc`: nothing runs); `plan_part(part)`: the RunPlan of a part of the
    workflow (runtime.prepare.prepare(..., part=True))."""

    def load_stored(part: Workflow, wanted: list[str], known: dict[str, Any]) -> dict[str, Any]:
        from .node import load  # deferred: the store's side, as every plan with a store loads it

        plan = plan_part(part)
        found = {}
        for name in wanted:
            if name in known:
                found[name] = known[name]
                continue
            hit, value = (False, None) if not plan.is_stored(name) else load(plan.job(part.index[name]), plan.store)
            if not hit:
                raise ItemsUnknown(name)
            found[name] = value
        return found

    return expanded(wf, params, load_stored)[0]
