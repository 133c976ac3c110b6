"""The nodes a run needs: what its outputs read, and everything that depends on.

    needed = needed_nodes(wf)        # with `return`, a run leaves the others out on every target

Needed is what a run needs (runtime/plan.py): the returned values' nodes and
everything they depend on (as Node.dependencies: a method's object and the
method calls before it on that object, as well as the data read), so an
object whose methods are needed is needed. Linear in the nodes: the IR's
nodes are in topological order, so one backwards pass finds them all.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .values import Imported, Literal, ParamRef, Ref
from .walk import referenced_nodes

if TYPE_CHECKING:
    from .workflow import Workflow

_NO_NODES = frozenset({Literal, ParamRef, Imported})  # values that read no node


def needed_nodes(workflow: Workflow) -> set[str]:
    """The nodes a run with these outputs needs: the outputs' nodes and all they depend on
    (Node.dependencies, spelt out: this pass sees every node of a 100,000-node file)."""
    needed = {name for output in workflow.outputs for name in referenced_nodes(output.value)}
    add, update = needed.add, needed.update
    for node in reversed(workflow.nodes):
        if node.name not in needed:
            continue
        if node.object:
            add(node.object)
        for value in node.args:
            if type(value) is Ref:
                add(value.node)
            elif type(value) not in _NO_NODES:
                update(referenced_nodes(value))
        for _, value in node.kwargs:
            if type(value) is Ref:
                add(value.node)
            elif type(value) not in _NO_NODES:
                update(referenced_nodes(value))
        update(node.after)
    return needed
