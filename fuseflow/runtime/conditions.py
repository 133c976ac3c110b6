"""Conditions on the engine: make a decision once what its tests read is known, skip the rest.

    wf = decide(wf, decision, taken_branch(decision, results, params))

A workflow's `if` chains (Workflow.decisions, runtime.graph.Decision) are made
in the stages that run-time loops expand in (runtime.stages.expanded, which
every target runs before its own run): the nodes a decision's tests read run
first, the decision is made, and the workflow goes on without the nodes of
the branches not taken. They never run; they are listed in Workflow.skipped (and
the decision, with the branch it took, in Workflow.decided), which the progress
display, `fusec explain` and each target's report and `--summary` show.
A name every branch assigns (ir.OneOf) becomes the taken branch's node, so a
node after the `if` reads, and is keyed by, exactly what it would read had
the file named that node: the same cache keys on every target.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import ir
from ..ir.conditions import TestFailed, members, taken, where
from .graph import Decision, Workflow
from .invoke import IndexingError, RunFailed, index
from .summary import branch_taken

# fetch(node, result): a result as a stage hands it on -> its value (Ray's ObjectRefs are fetched)
Fetch = Callable[[str, Any], Any]


class DecisionFailed(RunFailed):
    """A decision's test could not be evaluated (`"a" < 1`, an index its value does not have):
    the run stops there, naming the `if`."""


def waiting_on_decisions(wf: Workflow) -> set[str]:
    """The nodes that wait for a decision not made yet: those inside its branches, and those that
    read the value of a name its branches assign (ir.OneOf), before anything after them."""
    if not wf.decisions:
        return set()
    undecided = {decision.name for decision in wf.decisions}
    waiting = {name for decision in wf.decisions for name in decision.branches}
    for node in wf.nodes:
        if any(_chooses(value, undecided) for value in (*node.args, *node.kwargs.values())):
            waiting.add(node.name)
    return waiting


def _chooses(value: ir.Value, undecided: set[str]) -> bool:
    if type(value) in (ir.Literal, ir.Ref, ir.ParamRef):
        return False
    return any(type(v) is ir.OneOf and v.decision in undecided for v in ir.walk(value))


def ready_decisions(wf: Workflow, waiting: set[str]) -> list[Decision]:
    """The decisions that can be made once the part of `wf` that waits for nothing has run: those
    no other decision encloses (still), whose tests read no waiting node."""
    return [decision for decision in wf.decisions
            if not decision.when and waiting.isdisjoint(decision.reads())]


def taken_branch(decision: Decision, results: dict[str, Any], params: dict[str, Any],
                 fetch: Fetch | None = None) -> int:
    """The branch a decision takes, from the results its tests read (`fetch`: as run-time loops'
    items are fetched) and the params; DecisionFailed when a test cannot be evaluated."""

    def value_of(operand: ir.Value) -> Any:
        if type(operand) is ir.Literal:
            return operand.value
        if type(operand) is ir.Ref:
            found = results[operand.node]
            found = fetch(operand.node, found) if fetch is not None else found
            return index(found, operand.path, operand.node) if operand.path else found
        if type(operand) is ir.ParamRef:
            found = params[operand.name]
            return index(found, operand.path, f"param {operand.name}") if operand.path else found
        raise TypeError(f"not an operand of a test: {operand!r}")

    try:
        return taken(decision.tests, value_of)
    except (TestFailed, IndexingError) as exc:
        raise DecisionFailed(f"{decision.where}: {exc}") from None


def decide(wf: Workflow, decision: Decision, branch: int) -> Workflow:
    """`wf` with `decision` made: the nodes (and decisions, and run-time loops) of the other branches
    gone, listed in `skipped` (a loop's as `table.*`); the values chosen by it (ir.OneOf) the taken
    branch's."""
    name = decision.name
    skipped = [node for node, index in decision.branches.items() if index != branch]
    gone = set(skipped)
    choose = _Choose(name, branch)
    nodes = []
    for node in wf.nodes:
        if node.name in gone:
            continue
        args = [choose.visit(value) for value in node.args]
        kwargs = {key: choose.visit(value) for key, value in node.kwargs.items()}
        same = all(a is b for a, b in zip(args, node.args, strict=True)) and all(
            kwargs[key] is value for key, value in node.kwargs.items())
        nodes.append(node if same else node.with_arguments(args, kwargs))
    decisions = []
    for other in wf.decisions:
        if other is decision:
            continue
        inside = next((b.index for b in other.when if b.decision == name), None)
        if inside is None:
            decisions.append(other)
        elif inside == branch:
            decisions.append(Decision(other.name, other.tests, other.branches,
                                      [(b.decision, b.index) for b in other.when if b.decision != name], other.where))
    fanouts = []
    for fanout in wf.fanouts:  # a run-time loop in a branch: it stays when the branch is taken, else it is skipped
        inside = next((b.index for b in fanout.when if b.decision == name), None)
        if inside is None:
            fanouts.append(fanout)
        elif inside == branch:
            fanouts.append(fanout.within(b for b in fanout.when if b.decision != name))
        else:
            skipped += fanout.skipped()
    assert wf.outputs is not None, "Workflow fills in its outputs"
    outputs = {key: choose.visit(value) for key, value in wf.outputs.items()
               if gone.isdisjoint(ir.referenced_nodes(choose.visit(value)))}
    word = branch_taken(len(decision.tests), decision.branches.values(), branch)
    return wf.replaced(nodes=nodes, outputs=outputs, fanouts=fanouts, decisions=decisions,
                       skipped=[*wf.skipped, *skipped], decided={**wf.decided, name: word})


def declared(wf: ir.Workflow) -> list[Decision]:
    """The decisions of an IR workflow, as the runtime makes them (runtime.bind), each with the
    nodes inside it (Node.when)."""
    return made_of(wf.decisions, wf.nodes)


def made_of(decisions: Iterable[ir.Decision], nodes: Iterable[ir.Node]) -> list[Decision]:
    """IR decisions as the runtime makes them, each with the nodes of `nodes` inside it: a
    workflow's (`declared`), or those a run-time loop's items make (runtime.bind)."""
    decisions = list(decisions)
    inside = members(decisions, nodes)
    return [Decision(decision.name, decision.tests, inside[decision.name],
                     [(b.decision, b.index) for b in decision.when], where(decision))
            for decision in decisions]


class _Choose(ir.Transformer):
    """The values one decision chooses (ir.OneOf) as the member of the branch it took."""

    def __init__(self, decision: str, branch: int):
        self.decision = decision
        self.branch = branch

    def visit_OneOf(self, value: ir.OneOf) -> ir.Value:
        if value.decision != self.decision:
            return self.generic_visit(value)
        chosen: ir.Value = self.visit(value.members[self.branch])
        return chosen
