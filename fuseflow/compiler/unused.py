"""Nodes that no returned output needs: with `return`, a run leaves them out.

A literal port of functionfuse's `LocalWorkflow(*roots).run()` returns one
node while the training hangs off the others; a run then says `3 to run,
0 stored, 35 not needed` and trains nothing. `fusec check` says so first:
one warning per source statement (a loop statement's nodes together), at
its first such node, in source order; past MOST statements, one more warning
counts the rest (`fusec explain` lists every node a run leaves out).

    report(workflow, returned, diags)      # after the IR is built

Needed is what a run needs (runtime/plan.py): the returned values' nodes and
everything they depend on (as Node.dependencies: a method's object and the
method calls before it on that object, as well as the data read), so an
object whose methods are needed is needed. Linear in the nodes: the IR's
nodes are in topological order, so one backwards pass finds them all.
"""
from __future__ import annotations

from collections import Counter

from .. import ir
from . import nodes as n
from .errors import Diagnostics
from .span import Span

MOST = 20  # statements warned about one by one; a generated file can have thousands


def report(workflow: ir.Workflow, returned: n.ReturnStmt | None, diags: Diagnostics) -> None:
    """Warnings for the statements with nodes that no output needs; none without `return`
    (then the outputs are every node nothing consumes, so every node is needed)."""
    if returned is None:
        return
    needed = ir.needed_nodes(workflow)
    if len(needed) == len(workflow.nodes):
        return
    nodes = workflow.nodes
    # a used workflow's nodes aside: using some of its outputs is how it is used
    counts = Counter(node.statement for node in nodes  # source order; `finally` runs whatever the outputs need
                     if node.name not in needed and not node.use and not node.final)
    shown = list(counts)[:MOST + 1]
    first = _first_nodes(nodes, needed, set(shown))
    totals = Counter(node.statement for node in nodes if node.statement in first)
    for statement in shown[:MOST]:
        node = first[statement]
        diags.warning(_span(node), *_words(statement, counts[statement], totals[statement], node.name))
    if len(counts) > MOST:
        rest = list(counts.values())[MOST:]
        diags.warning(_span(first[shown[MOST]]), *_more(len(rest), sum(rest)))


def _first_nodes(nodes: tuple[ir.Node, ...], needed: set[str], statements: set[str]) -> dict[str, ir.Node]:
    """The first node no output needs of each of `statements` (a few), stopping once all are found."""
    first: dict[str, ir.Node] = {}
    for node in nodes:
        if node.statement in statements and node.statement not in first and node.name not in needed:
            first[node.statement] = node
            if len(first) == len(statements):
                break
    return first


def _span(node: ir.Node) -> Span | None:
    return Span(*node.span) if node.span[0] else None


def _words(statement: str, count: int, total: int, first: str) -> tuple[str, str]:
    """The warning and its hint: the statement, with how many of its nodes when it made several."""
    if count == total:
        nodes = f" ({total} nodes)" if total > 1 else ""
        return (f"'{statement}'{nodes} is not needed by any returned output: with `return`, it does not run",
                "return it too, or remove it")
    return (f"{count} of the {total} nodes of '{statement}' are not needed by any returned output "
            f"(the first is '{first}'): with `return`, they do not run",
            f"return '{statement}' whole, or remove what no output needs")


def _more(statements: int, nodes: int) -> tuple[str, str]:
    """The warning past MOST statements, at the first of the rest."""
    return (f"{statements} more statements from here on ({nodes} nodes) are not needed by any returned output: "
            "with `return`, they do not run",
            "`fusec explain FILE` lists every node a run leaves out")
