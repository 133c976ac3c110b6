"""What a run did, node by node, for `--summary`: computed, loaded, skipped, and the decisions made.

    summary = Summary()
    outputs = run(wf, {}, RunSettings(summary=summary))   # the target fills it in as the run goes
    summary.as_json()
    # {"nodes": {"computed": 5, "loaded": 2, "skipped": 3},
    #  "skipped": ["big", "chosen.if", "chosen.else"], "decisions": {"if-1": "elif1", "if-2.1": "else"}}

The engine fills it in (runtime.execute: from each plan's states; the decisions and
the skipped nodes from the workflow once its `if`s are made, runtime.conditions), and so
does each target where it places nodes (the Ray driver's plan, a Prefect flow run's
submissions, what KFP's steps report back): targets only feed it. How a run ends on a
command line prints it (runtime.report, runtime.outputs: `--json --summary`, `--summary`).

A node counts once: computed when its function ran (a `finally` call too), loaded when
its stored result was taken instead; one a stage of the run already has (a run-time
loop's items, what an `if`'s tests read) is not counted again. A node nothing needs is
none of these. Skipped nodes are those in branches of `if`s not taken, in the graph's
order (nodes that a run-time loop's items made after the others, by name: the same on
every target, whatever order it made their decisions in); decisions likewise. A
decision is named by the branch it took, as node names name branches
(ir.conditions.branch_words): "if", "elif1", ..., "else"; None (JSON null) when it
took none (an `if` without an `else`, or with an empty one, whose tests all failed).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from ..ir.conditions import branch_words
from .plan import LOAD, RUN

if TYPE_CHECKING:
    from .graph import Workflow

COMPUTED, LOADED, SKIPPED = "computed", "loaded", "skipped"
SHOWN = 5  # skipped nodes and decisions the one-line summary names before "and N more"


class Summary:
    """What one run did (module docstring); filled in as it goes, read once it has ended."""

    def __init__(self) -> None:
        self.nodes: dict[str, str] = {}  # node -> COMPUTED or LOADED
        self.skipped: list[str] = []
        self.decisions: dict[str, str | None] = {}

    def __repr__(self) -> str:
        return f"Summary({self.text()!r})"

    def computed(self, name: str) -> None:
        self.nodes[name] = COMPUTED  # also after a load that failed: computed after all

    def loaded(self, name: str) -> None:
        self.nodes.setdefault(name, LOADED)

    def planned(self, states: Mapping[str, str], known: AbstractSet[str] = frozenset()) -> None:
        """A plan's states (runtime.plan): what it runs computed, what it loads loaded; `known`:
        results the run has already (runtime.stages), not counted again."""
        for name, state in states.items():
            if name in known:
                continue
            if state == RUN:
                self.computed(name)
            elif state == LOAD:
                self.loaded(name)

    def decided(self, wf: Workflow, begun: Workflow) -> None:
        """The decisions `wf` has made and the nodes it skipped (runtime.conditions.decide), in the
        order of `begun`, the workflow as the run began."""
        self.decide(wf.decided, wf.skipped, [node.name for node in begun.nodes],
                    [decision.name for decision in begun.decisions])

    def decide(self, decisions: Mapping[str, str | None], skipped: Iterable[str], order: Iterable[str],
               decision_order: Iterable[str]) -> None:
        """Decisions made (name -> the branch's word) and nodes skipped, put in the graph's order
        (`order`, `decision_order`: names as the graph has them; others after, as they came)."""
        self.skipped = in_order(skipped, order)
        self.decisions = {name: decisions[name] for name in in_order(decisions, decision_order)}

    def counts(self) -> dict[str, int]:
        values = list(self.nodes.values())
        return {COMPUTED: values.count(COMPUTED), LOADED: values.count(LOADED), SKIPPED: len(self.skipped)}

    def as_json(self) -> dict[str, Any]:
        """{"nodes": {"computed": N, "loaded": N, "skipped": N}, "skipped": [...], "decisions": {...}}"""
        return {"nodes": self.counts(), "skipped": list(self.skipped), "decisions": dict(self.decisions)}

    def text(self) -> str:
        """One line: `5 computed, 2 loaded, 3 skipped (big, chosen.if, chosen.else); if-1: elif1`."""
        counts = self.counts()
        line = f"{counts[COMPUTED]} computed, {counts[LOADED]} loaded, {counts[SKIPPED]} skipped"
        if self.skipped:
            line += f" ({capped(self.skipped)})"
        if self.decisions:
            line += "; " + capped([f"{name}: {word or 'no branch'}" for name, word in self.decisions.items()])
        return line


def capped(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def in_order(names: Iterable[str], order: Iterable[str]) -> list[str]:
    """`names` sorted by their place in `order`; those it does not hold after, by name (numbers by
    value: `x.2` before `x.10`), whatever order a target made them in."""
    place = {name: i for i, name in enumerate(order)}
    given = dict.fromkeys(names)
    known = sorted((name for name in given if name in place), key=place.__getitem__)
    return known + sorted((name for name in given if name not in place), key=_by_parts)


def _by_parts(name: str) -> list[tuple[int, int, str]]:
    """A name's sort key: its dotted parts, numbers by value before words."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]


def branch_taken(tests: int, branches: Iterable[int], index: int) -> str | None:
    """The word of the branch a decision with `tests` tests took (`index`, ir.conditions.taken),
    `branches` the branch indexes of the nodes inside it (their `else` is tests): None when no
    branch with a node in it ran (an `if` without an `else`, or an empty one, whose tests all failed)."""
    has_else = tests in set(branches)
    if index == tests and not has_else:
        return None
    return branch_words(tests, has_else)[index]


def skipped_nodes(order: Iterable[str], inside: Mapping[str, Mapping[str, int]], taken: Mapping[str, int]) -> list[str]:
    """The nodes of `order` that a run whose decisions took the branches `taken` (decision -> index)
    skipped: a node inside a decision (`inside`: decision -> {node: its branch's index}) that took
    another branch (an `if` inside it was then never made). A node no decision around which was made
    was not needed (with `return`, an `if` no output needs is not made: runtime.unneeded). For a target
    whose run reports only the decisions (KFP's steps); the engine keeps them as it decides
    (Workflow.skipped)."""
    within: dict[str, list[tuple[str, int]]] = {}  # node -> the decisions around it, with its branch
    for decision, nodes in inside.items():
        for name, index in nodes.items():
            within.setdefault(name, []).append((decision, index))
    return [name for name in order if any(decision in taken and taken[decision] != index
                                          for decision, index in within.get(name, ()))]
