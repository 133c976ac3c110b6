"""The `if`s of a Prefect flow body: Python `if` blocks around the task runs of their branches.

A workflow's `if`s are decided by the flow run (FlowRun.decide) when what their
tests read is done; those of a run-time loop's body per item, inside its Python
loop, and those of a static loop in that body once per iteration of it, in the
loop's body (`run.decide(f"if-2.{x_key}.{k}")`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ... import ir
from ...codegen import escape, pretty, pyexpr
from ...codegen.fanout import branches_around, identifier
from ...codegen.loops import Scope
from ...ir.conditions import shown, where
from ...ir.fanout import decision_loops

if TYPE_CHECKING:
    from .generate import FlowBody


class Branches:
    """The `if` blocks of the flow body, opened as the nodes of their branches come (a branch's
    nodes are consecutive, in source order) and closed at the first node outside them:

        branch_if_1 = run.decide("if-1")  # the `if` on line 8: waits for what its tests read
        if branch_if_1 == 0:  # a >= 5 and not quiet
            big = run.submit(...)
        elif branch_if_1 == 1:  # a == 3
            ...
        else:
            ...

    The flow run makes the decision (FlowRun.decide), and shows the nodes of the branches not
    taken as task runs in state Skipped."""

    def __init__(self, flow: FlowBody, root: pretty.Block, fanout: ir.FanOut | None = None,
                 scope: Scope | None = None, outside: int = 0):
        self.flow = flow
        self.root = root
        # the workflow's, or (`scope`: the run-time loop's) those of a run-time loop's body, named per item
        self.fanout = fanout
        self.decisions = {decision.name: decision for decision in (flow.wf.decisions if fanout is None
                                                                   else fanout.decisions)}
        # a run-time loop's: the static loops of its body each is in, by id()
        self.loops = {name: tuple(map(id, chain)) for name, chain in decision_loops(fanout).items()} if fanout else {}
        self.scope = scope
        self.outside = outside  # how many branches of a node's are open around `root` (a static loop's body)
        self.open: list[tuple[ir.Branch, pretty.Block]] = []  # outermost first
        self.variables: dict[str, str] = {}  # decision -> the variable holding the branch it took
        self.closed: dict[int, str] = {}  # depth -> the decision whose branch block ends there, last

    def within(self, root: pretty.Block, scope: Scope, loop: ir.Loop) -> Branches:
        """Those of a static loop's body (`root`), in the branches the loop is in."""
        return Branches(self.flow, root, self.fanout, scope, self.outside + len(self.around(loop)))

    def around(self, item: ir.Statement | ir.Loop) -> tuple[ir.Branch, ...]:
        """The branches a body item is in: a static loop's are those of its statements outside it (the
        `if`s inside it open in its body)."""
        return branches_around(item, self.loops)

    def at(self, when: tuple[ir.Branch, ...]) -> pretty.Block:
        """The block the statements of a node in the branches `when` go in."""
        when = when[self.outside:]
        keep = 0
        while keep < min(len(self.open), len(when)) and self.open[keep][0] == when[keep]:
            keep += 1
        while len(self.open) > keep:
            branch, _ = self.open.pop()
            self.closed = {depth: d for depth, d in self.closed.items() if depth < len(self.open)}
            self.closed[len(self.open)] = branch.decision
        for depth in range(keep, len(when)):
            parent = self.open[-1][1] if self.open else self.root
            self.open.append((when[depth], self.opened(parent, depth, when[depth])))
        depth = len(self.open)
        self.closed = {d: name for d, name in self.closed.items() if d < depth}  # a statement here ends a chain
        return self.open[-1][1] if self.open else self.root

    def opened(self, parent: pretty.Block, depth: int, branch: ir.Branch) -> pretty.Block:
        decision = self.decisions[branch.decision]
        variable = self.variables.get(decision.name)
        continues = variable is not None and self.closed.get(depth) == decision.name
        if variable is None:
            variable = self.variables[decision.name] = self.flow.names.local(
                identifier(f"branch_{decision.name.split('.*')[0]}"))
            if self.scope is None:
                call = f"{self.flow.run}.decide({pyexpr.literal(decision.name)})"
                said = where(decision)
            else:  # an item's: f"if-1.{x_key}"
                call = f"{self.flow.run}.decide({pretty.render(self.scope.decision_name(decision.name))})"
                said = f"the `if` on line {decision.span[0]}, per item"
            statement, note = f"{variable} = {call}", f"{escape.comment(said)}: waits for what its tests read"
            if parent.indent + len(statement) + len(note) + 4 <= pretty.WIDTH:
                parent.add(f"{statement}  # {note}")
            else:  # (a formatter would break the call to fit a trailing comment)
                parent.comment(note)
                parent.add(statement)
        self.closed.pop(depth, None)
        if branch.index == len(decision.tests):
            return parent.nested("else:" if continues else f"if {variable} == {branch.index}:  # else")
        test = escape.comment(shown(decision.tests[branch.index]))
        return parent.nested(f"{'elif' if continues else 'if'} {variable} == {branch.index}:  # {test}")
