"""Which nodes to load from storage, which to run, which to leave alone.

Shared by every target, so a stored result is never recomputed (or resubmitted
to a cluster) anywhere. Worked out backwards from the outputs: a node whose
result is stored does not need its inputs at all, so a fully cached rerun
loads only the outputs.

An object and its method calls go together: a method that must run needs the
live object, so the object is built again and the earlier method calls on it
replayed in order (their stored results are simply rewritten).
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .graph import Workflow, referenced

LOAD, RUN, SKIP = "load", "run", "skip"


def forced_nodes(wf: Workflow, pattern: str | None) -> set[str]:
    """Nodes matching the regex (full match) and everything downstream of them."""
    if not pattern:
        return set()
    regex = re.compile(pattern)
    forced: set[str] = set()
    last_method: dict[str, str] = {}
    for node in wf.nodes:
        upstream = set(node.inputs())
        if node.kind == "method":
            upstream.add(last_method.get(node.object, node.object))
            last_method[node.object] = node.name
        if regex.fullmatch(node.name) or upstream & forced:
            forced.add(node.name)
    return forced


def plan(wf: Workflow, wanted: Iterable[str], is_stored: Callable[[str], bool],
         forced: set[str] = frozenset()) -> dict[str, str]:
    """node name -> LOAD, RUN or SKIP. `is_stored(name)` says whether a usable
    result exists (False for nodes whose results are never stored)."""
    needed = set(wanted)
    must_run: set[str] = set()
    states: dict[str, str] = {}
    previous = _previous_methods(wf)
    for node in reversed(wf.nodes):
        name = node.name
        if name not in needed and name not in must_run:
            states[name] = SKIP
            continue
        if name in must_run or name in forced or node.kind == "object" or not is_stored(name):
            states[name] = RUN
            needed.update(node.inputs())
            if node.kind == "method":
                must_run.add(previous[name])
        else:
            states[name] = LOAD
    return states


def _previous_methods(wf: Workflow) -> dict[str, str]:
    """method node -> the node before it on the same object (a method or the object)."""
    last: dict[str, str] = {}
    previous: dict[str, str] = {}
    for node in wf.nodes:
        if node.kind == "method":
            previous[node.name] = last.get(node.object, node.object)
            last[node.object] = node.name
    return previous


def output_nodes(wf: Workflow) -> list[str]:
    names: list[str] = []
    for value in wf.outputs.values():
        names.extend(referenced(value))
    return names
