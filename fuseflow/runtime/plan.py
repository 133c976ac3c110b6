"""Which nodes to load from storage, which to run, which to leave alone.

Shared by every target, so a stored result is never recomputed (or resubmitted
to a cluster) anywhere. Worked out backwards from the outputs: a node whose
result is stored does not need its inputs at all, so a fully cached rerun
loads only the outputs.

An object and its method calls go together: a method that must run needs the
live object, so the object is built again and the earlier method calls on it
replayed in order (their stored results are simply rewritten).

`y = f(a) after x` makes x needed for ordering only: when y runs, x runs or is
loaded before it, although y reads nothing of x (no reader is counted for x's
result). `--rerun x` forces y too: it said it must follow x.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet

from ..ir import referenced_nodes
from .graph import Workflow

LOAD, RUN, SKIP = "load", "run", "skip"


def forced_nodes(wf: Workflow, pattern: str | None) -> set[str]:
    """Nodes matching the regex (full match) and everything downstream of them
    (for a method call, also the later calls on the same object; for a node with
    `after`, the nodes it follows: it must follow them again)."""
    if not pattern:
        return set()
    regex = re.compile(pattern)
    previous = wf.topology.previous
    forced: set[str] = set()
    for node, reads, after in zip(wf.nodes, wf.topology.reads, wf.topology.after, strict=True):
        name = node.name
        if regex.fullmatch(name) or not forced.isdisjoint(reads) or previous.get(name) in forced or (
                after and not forced.isdisjoint(after)):
            forced.add(name)
    return forced


def plan(wf: Workflow, wanted: Iterable[str], is_stored: Callable[[str], bool] | None,
         forced: AbstractSet[str] = frozenset(), readers: dict[str, int] | None = None,
         live: AbstractSet[str] = frozenset()) -> dict[str, str]:
    """node name -> LOAD, RUN or SKIP. `is_stored(name)` says whether a usable
    result exists (False for nodes whose results are never stored); None means
    nothing is stored (no storage), so every needed node runs. `live`: results the
    run holds already (an earlier stage's, runtime.fanout), LOAD even for an object
    and the calls on it before a method that runs: they ran on that very object.

    `readers`, when given, is filled on the way: for each result, how many
    nodes that run need it (a method call needs its object), on top of what
    it held; an executor frees a result when that count drops to zero."""
    needed = set(wanted)
    must_run: set[str] = set()  # earlier calls on an object that a later method call runs on
    states: dict[str, str] = {}
    nodes, topology = wf.nodes, wf.topology
    needs, previous, after = topology.needs, topology.previous, topology.after
    for i in range(len(nodes) - 1, -1, -1):
        node = nodes[i]
        name = node.name
        if name not in needed and name not in must_run:
            states[name] = SKIP
        elif name in live:
            states[name] = LOAD
        elif is_stored is None or name in must_run or name in forced or node.kind == "object" or not is_stored(name):
            states[name] = RUN
            needed.update(needs[i])  # what it reads, and a method call's object (live, or made again before it)
            if after[i]:  # it runs after them: each runs (or is loaded) first, though nothing of theirs is read
                needed.update(after[i])
            if node.kind == "method":
                must_run.add(previous[name])
            if readers is not None:
                for read in needs[i]:
                    readers[read] = readers.get(read, 0) + 1
        else:
            states[name] = LOAD
    return states


def output_nodes(wf: Workflow) -> list[str]:
    names: list[str] = []
    assert wf.outputs is not None, "Workflow.__post_init__ fills in the default outputs"
    for value in wf.outputs.values():
        names.extend(referenced_nodes(value))
    return names


def wanted_nodes(wf: Workflow) -> list[str]:
    """What a run of `wf` (its loops expanded, its decisions made) computes or loads: the outputs'
    nodes and, for Workflow.run_unread (a file without `return`), every node nothing reads or runs
    after, objects and the earlier method calls on an object aside: in a file without `return`, those
    inside the `if` branches taken, which are no outputs, run too."""
    wanted = output_nodes(wf)
    if not wf.run_unread:
        return wanted
    topology = wf.topology
    read = {name for needs in topology.needs for name in needs}
    read.update(name for after in topology.after for name in after)
    read.update(topology.previous.values())
    found = set(wanted)
    return [*wanted, *(node.name for node in wf.nodes
                       if node.kind != "object" and node.name not in read and node.name not in found)]
