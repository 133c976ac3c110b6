"""Nodes that no returned output needs: with `return`, a run leaves them out.

A literal port of functionfuse's `LocalWorkflow(*roots).run()` returns one
node while the training hangs off the others; a run then says `3 to run,
0 stored, 35 not needed` and trains nothing. `fusec check` says so first:
one warning per source statement (a loop statement's nodes together), at
its first such node, in source order.

    report(workflow, returned, diags)      # after the IR is built

Needed is what a run needs (runtime/plan.py): the returned values' nodes and
everything they depend on (Node.dependencies: a method's object and the
method calls before it on that object, as well as the data read), so an
object whose methods are needed is needed. Linear in the nodes: the IR's
nodes are in topological order, so one backwards pass finds them all.
"""
from __future__ import annotations

from .. import ir
from . import nodes as n
from .errors import Diagnostics
from .span import Span


def report(workflow: ir.Workflow, returned: n.ReturnStmt | None, diags: Diagnostics) -> None:
    """A warning per statement with nodes that no output needs; none without `return`
    (then the outputs are every node nothing consumes, so every node is needed)."""
    if returned is None:
        return
    needed = needed_nodes(workflow)
    if len(needed) == len(workflow.nodes):
        return
    unneeded: dict[str, list[ir.Node]] = {}
    totals: dict[str, int] = {}
    for node in workflow.nodes:
        totals[node.statement] = totals.get(node.statement, 0) + 1
        if node.name not in needed:
            unneeded.setdefault(node.statement, []).append(node)
    for statement, found in unneeded.items():
        first = found[0]
        message, hint = _words(statement, len(found), totals[statement], first.name)
        diags.warning(Span(*first.span) if first.span[0] else None, message, hint)


def needed_nodes(workflow: ir.Workflow) -> set[str]:
    """The nodes a run with these outputs needs: the outputs' nodes and all they depend on."""
    needed = {name for output in workflow.outputs for name in ir.referenced_nodes(output.value)}
    for node in reversed(workflow.nodes):
        if node.name in needed:
            needed.update(node.dependencies())
    return needed


def _words(statement: str, count: int, total: int, first: str) -> tuple[str, str]:
    """The warning and its hint: the statement, with how many of its nodes when it made several."""
    if count == total:
        nodes = f" ({total} nodes)" if total > 1 else ""
        return (f"'{statement}'{nodes} is not needed by any returned output: with `return`, it does not run",
                "return it too, or remove it")
    return (f"{count} of the {total} nodes of '{statement}' are not needed by any returned output "
            f"(the first is '{first}'): with `return`, they do not run",
            f"return '{statement}' whole, or remove what no output needs")
