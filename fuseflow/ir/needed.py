"""The nodes a run needs: what its outputs read, and everything that depends on.

    needed = needed_nodes(wf)        # with `return`, a run leaves the others out on every target

Needed is what a run needs (runtime/plan.py): the returned values' nodes (without
`return`, the outputs and the nodes nothing reads inside `if` branches, which run
when their branch is taken though they are no outputs: Workflow.returned) and
everything they depend on (as Node.dependencies: a method's object and the
method calls before it on that object, as well as the data read), so an
object whose methods are needed is needed. Linear in the nodes: the IR's
nodes are in topological order, so one backwards pass finds them all.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .fanout import fanout_inputs, gathering
from .values import Gathered, Imported, Literal, ParamRef, Ref, Value
from .walk import referenced_nodes, walk

if TYPE_CHECKING:
    from .workflow import Workflow

_NO_NODES = frozenset({Literal, ParamRef, Imported})  # values that read no node


def needed_nodes(workflow: Workflow) -> set[str]:
    """The nodes a run with these outputs needs: the outputs' nodes and all they depend on
    (Node.dependencies, spelt out: this pass sees every node of a 100,000-node file)."""
    needed = {name for output in workflow.outputs for name in referenced_nodes(output.value)}
    if not workflow.returned:  # every node runs: those of `if` branches too (what nothing reads there is no output)
        needed.update(node.name for node in workflow.nodes if node.when and node.kind != "object" and not node.final)
        for fanout in workflow.fanouts:  # and every run-time loop, with what it reads
            needed.update(fanout_inputs(fanout))
    add, update = needed.add, needed.update
    if workflow.fanouts:  # what the run-time loops whose results are read read themselves
        for output in workflow.outputs:
            update(_gathered_needs(workflow, output.value))
    # a node in an `if` branch needs what the tests of the `if`s around it read
    tested = {decision.name: list(_test_reads(decision.tests)) for decision in workflow.decisions}
    for node in reversed(workflow.nodes):
        if node.name not in needed:
            continue
        for branch in node.when:
            update(tested[branch.decision])
        if node.object:
            add(node.object)
        for value in node.args:
            if type(value) is Ref:
                add(value.node)
            elif type(value) not in _NO_NODES:
                update(referenced_nodes(value))
                if workflow.fanouts:
                    update(_gathered_needs(workflow, value))
        for _, value in node.kwargs:
            if type(value) is Ref:
                add(value.node)
            elif type(value) not in _NO_NODES:
                update(referenced_nodes(value))
                if workflow.fanouts:
                    update(_gathered_needs(workflow, value))
        update(node.after)
    return needed


def _test_reads(tests: tuple[Value, ...]) -> list[str]:
    return [name for test in tests for name in referenced_nodes(test)]


def _gathered_needs(workflow: Workflow, value: Value) -> list[str]:
    """The nodes the run-time loops gathered in `value` read."""
    found: list[str] = []
    for inner in walk(value):
        if type(inner) is Gathered:
            fanout = gathering(workflow.fanouts, inner)
            if fanout is not None:
                found.extend(fanout_inputs(fanout))
    return found
