"""Run-time loops as KFP writes them: a `dsl.ParallelFor` over the items a small step hands out.

    loop = RunTimeLoop(fanout)
    loop.nodes        # up.*, cell.*.1, cell.*.2: the tasks of one iteration, `*` for the item's key
    loop.members("cell")  # Family(cell, 1 -> Ref(cell.*.1), 2 -> Ref(cell.*.2)): one item's `cell`
    loop.decisions    # if-1.*: the `if`s of the body, decided per item (kfp.conditions, in the loop's DAG)
    loop.members("r")     # OneOf(if-1.*, (Ref(r.if.*), Ref(r.else.*))): a name every branch assigns

Items are known only when the pipeline runs, so a run-time loop (ir.FanOut) is
written once, as one iteration: its statements expanded as the engine expands
them (ir.expand: the static loops inside it too), with the item left as a
marker (`Item`) where the loop variable goes and `*` where the item's key goes
in a node's name. The items step (kind "items" of fuseflow.targets.kfp.step)
hands out each item's key and variables; every iteration's tasks read them
from the loop item, so the YAML is the same size for one item or ten thousand.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ... import ir
from ...ir.expand import Expansion, Iteration
from ...ir.fanout import iteration_decisions, options_for
from ...ir.record import replace
from ...ir.values import holds
from ...runtime.bind import iterable_text
from .arguments import KEY, KEY_FIELD

__all__ = ["KEY", "KEY_FIELD", "Item", "RunTimeLoop", "holds_item"]


class Item:
    """The current item's loop variable `name`, indexed by `path`: what the engine's expansion puts
    in a Literal where the loop variable is (`[x, 1]` is Literal([Item("x"), 1]), as it is
    Literal([3, 1]) for the item 3), so that lists and dicts of constants stay constants."""

    __slots__ = ("name", "path")

    def __init__(self, name: str, path: tuple[Any, ...] = ()):
        self.name = name
        self.path = path

    def __getitem__(self, key: Any) -> Item:
        return Item(self.name, (*self.path, key))

    def __eq__(self, other: object) -> bool:
        return type(other) is Item and (other.name, other.path) == (self.name, self.path)

    def __hash__(self) -> int:
        return hash((self.name, self.path))

    def __repr__(self) -> str:
        return f"Item({self.name!r}, {self.path!r})"


def holds_item(data: Any) -> bool:
    """Whether constant data holds the current item somewhere."""
    return holds(data, Item)


class RunTimeLoop:
    """One run-time loop of the workflow (one ir.FanOut) as the tasks of one iteration."""

    def __init__(self, fanout: ir.FanOut):
        self.fanout = fanout
        self.where = iterable_text(fanout.iterable)  # `numbers`, `parts['names']`, `param sizes`
        # the loop's own loop, in the static ones around it, as ir.fanout.expand_fanout nests them
        root = ir.Loop(fanout.vars, [], fanout.body, positions=True)
        for depth, key in reversed(list(enumerate(fanout.keys))):
            root = ir.Loop((f"*{depth}",), {key: None}, (root,))
        self.expansion = Expansion([root])
        bindings = {var: Item(var) for var in fanout.vars}
        self.nodes = list(self._nodes(fanout.body, (*fanout.keys, KEY), bindings, {}))
        self.index = {node.name: node for node in self.nodes}
        at = Iteration(self.expansion, (*fanout.keys, KEY), bindings)
        self.decisions = iteration_decisions(fanout, at)
        self.merged = {name: at.value(value) for name, value in fanout.merged}  # one item's: OneOfs

    def _nodes(self, body: tuple[ir.Statement | ir.Loop, ...], keys: tuple[str, ...], bindings: dict[str, Any],
               last_call: dict[str, str]) -> Iterator[ir.Node]:
        """The nodes of one iteration, in order; `last_call`: an object's latest method call (node names)."""
        for item in body:
            if isinstance(item, ir.Loop):
                for key, values in self.expansion.iterations(item):
                    yield from self._nodes(item.body, (*keys, key), {**bindings, **values}, last_call)
                continue
            made = self.expansion.node(item, Iteration(self.expansion, keys, bindings))
            chained: tuple[str, ...] = ()
            if made.object is not None:
                chained = (last_call[made.object],) if made.object in last_call else ()
                last_call[made.object] = made.name
            yield ir.Node(name=made.name, kind=made.kind, target=made.target, args=made.args, kwargs=made.kwargs,
                          object=made.object, after=ir.ordering(made.kind, made.object, chained, made.after),
                          options=options_for(made.name, self.fanout.queries),
                          statement=made.name[:-len(".".join(made.keys)) - 1], keys=made.keys, span=item.span,
                          when=made.when)

    def members(self, statement: str) -> ir.Value:
        """One item's `statement` outside the loop: its node (a Ref), or the family of the static loops
        inside the run-time loop (a Family of Refs), or for a name every branch of an `if` assigns,
        the branch taken's node (a OneOf of Refs)."""
        if statement in self.merged:
            return self.merged[statement]
        return self.expansion.family(statement, (*self.fanout.keys, KEY))

    def item(self, key: str) -> tuple[list[ir.Node], list[ir.Decision]]:
        """One item's nodes and decisions, named with its key for the `*` (`kept.if.0` in `if-1.0`): what
        its steps report having done under `fusec run --summary` (kfp.local.summarize)."""
        def keyed(name: str) -> str:
            return ".".join(key if part == KEY else part for part in name.split("."))

        nodes = [replace(node, name=keyed(node.name), when=tuple(ir.Branch(keyed(branch.decision), branch.index)
                                                                 for branch in node.when)) for node in self.nodes]
        return nodes, [replace(decision, name=keyed(decision.name)) for decision in self.decisions]

    def needs(self, statements: set[str]) -> set[str]:
        """The loop's nodes that `statements` (read outside it) need: theirs and what they read."""
        wanted = [name for statement in statements for name in ir.referenced_nodes(self.members(statement))]
        found: set[str] = set()
        while wanted:
            name = wanted.pop()
            if name in found or name not in self.index:
                continue
            found.add(name)
            wanted.extend(self.index[name].dependencies())
        return found
