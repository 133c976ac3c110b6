"""Run-time loops: `for f in files { ... }` over a node's result or a param, expanded when it is known.

    FanOut(vars=("f",), iterable=Ref("files"), body=(Statement("table", ..., args=(LoopVar("f"),)), ...))

A static loop is expanded by the compiler; a run-time loop's items exist only
when the workflow runs, so the IR keeps it as a description (the statements
of its body written once, as in fuseflow.ir.loops) and the engine expands it
when the value it iterates is known:

    nodes, gathered = expand_fanout(fanout, ["a.csv", "b.csv"])
    # nodes: table.0, table.1, ... (ir.Node); gathered: {"table": ListOf((Ref("table.0"), Ref("table.1")))}

An iteration's nodes carry the item's position (`table.0`), or its key for a
loop over a dict (`table.moons`), after the keys of the static loops around the
run-time loop (`keys`: `table.ds1.0`). A loop variable is the item itself, a
constant of that iteration, so each node's cache key comes from the item's
content: appending an item runs the new iteration only. Outside the loop, a
statement's results are a list in item order (a dict for a loop over a dict),
which is what Gathered values become (`gathered`).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .conditions import Decision
from .expand import Expansion, Iteration, NotIndexable
from .loops import FanOut, Loop, Statement, loop_key
from .values import DictOf, Family, Gathered, ListOf, Ref, Value
from .walk import referenced_nodes, walk
from .workflow import Node, ordering


class NotIterable(Exception):
    """The value a run-time loop iterates is not a list or a dict (or its items do not unpack)."""


def expand_fanout(fanout: FanOut, items: Any, where: str = "") -> tuple[list[Node], dict[str, Value]]:
    """The nodes `fanout` makes over `items` (in order) and each statement's value outside the
    loop (a ListOf of its members, or a DictOf for a loop over a dict), a name every branch of
    an `if` in its body assigns included. NotIterable for items that are not a list or dict
    (`where` names the iterable in the message). Its `if`s, per item: fanout_decisions."""
    items = checked_items(len(fanout.vars), items, where)
    root, loop = _rooted(fanout, items)
    expansion = Expansion([root])
    try:
        nodes = [Node(name=e.name, kind=e.kind, target=e.target, args=e.args, kwargs=e.kwargs, object=e.object,
                      after=ordering(e.kind, e.object, (), e.after), options=options_for(e.name, fanout.queries),
                      statement=e.name[:-len(".".join(e.keys)) - 1], keys=e.keys, when=e.when)
                 for e in expansion.nodes(root)]
        merged = [(name, [Iteration(expansion, (*fanout.keys, key), bindings).value(value)
                          for key, bindings in expansion.iterations(loop)]) for name, value in fanout.merged]
    except NotIndexable as exc:
        raise NotIterable(f"the run-time loop over {where}: {exc}" if where else str(exc)) from None
    gathered: dict[str, Value] = {}
    for statement in fanout.statements():
        family = expansion.family(statement, fanout.keys)
        assert isinstance(family, Family), "a run-time loop's statement has a family over its items"
        gathered[statement] = collected(items, [member for _, member in family.members])
    for name, members in merged:
        gathered[name] = collected(items, members)
    return nodes, gathered


def fanout_decisions(fanout: FanOut, items: Any, where: str = "") -> list[Decision]:
    """The decisions of the `if`s in `fanout`'s body, per item in order (`if-1.0`, `if-1.1`, ...),
    their tests reading that item's values; the nodes of expand_fanout are inside them (Node.when)."""
    if not fanout.decisions:
        return []
    items = checked_items(len(fanout.vars), items, where)
    root, loop = _rooted(fanout, items)
    expansion = Expansion([root])
    made: list[Decision] = []
    chains = decision_loops(fanout)
    try:
        for key, bindings in expansion.iterations(loop):
            made.extend(iteration_decisions(fanout, Iteration(expansion, (*fanout.keys, key), bindings), chains))
    except NotIndexable as exc:
        raise NotIterable(f"the run-time loop over {where}: {exc}" if where else str(exc)) from None
    return made


def iteration_decisions(fanout: FanOut, at: Iteration, chains: dict[str, tuple[Loop, ...]] | None = None
                        ) -> list[Decision]:
    """The decisions of the `if`s in `fanout`'s body as iteration `at` makes them (named with its
    keys, their tests reading its values): an item's, or KFP's one iteration written for every item.
    An `if` in a static loop of the body is made once per iteration of that loop (`if-2.0.knn`).
    `chains`: decision_loops(fanout), when the caller has it."""
    chains = chains if chains is not None else decision_loops(fanout)
    return [Decision(inner.decision(d.name), tuple(inner.value(test) for test in d.tests), inner.keys, d.span,
                     tuple(inner.branch(b) for b in d.when), d.has_else)
            for d in fanout.decisions for inner in _within(at, chains[d.name])]


def decision_loops(fanout: FanOut) -> dict[str, tuple[Loop, ...]]:
    """The static loops of `fanout`'s body around each of its `if`s, outermost first (none for an
    `if` of the body's own level): those the file writes it in, as its keys count them (`if-2.*.*`)."""
    found: dict[str, tuple[Loop, ...]] = {}
    for decision in fanout.decisions:
        depth = len(decision.keys) - len(fanout.keys) - 1
        chain = _around(fanout.body, decision.span) if depth else ()
        assert len(chain) == depth, f"{decision.name} is in {depth} static loops of its run-time loop's body"
        found[decision.name] = chain
    return found


def _around(body: tuple[Statement | Loop, ...], span: tuple[int, int, int, int]) -> tuple[Loop, ...]:
    """The loops of `body` (and inside them) whose text holds `span`, outermost first."""
    for item in body:
        if isinstance(item, Loop) and item.span[:2] <= span[:2] and span[2:] <= item.span[2:]:
            return (item, *_around(item.body, span))
    return ()


def _within(at: Iteration, loops: tuple[Loop, ...]) -> Iterator[Iteration]:
    """The iterations of `loops` (nested, outermost first) inside iteration `at`, in order."""
    if not loops:
        yield at
        return
    for key, values in at.expansion.iterations(loops[0]):
        yield from _within(Iteration(at.expansion, (*at.keys, key), {**at.bindings, **values}), loops[1:])


def _rooted(fanout: FanOut, items: Any) -> tuple[Loop, Loop]:
    """The loop over `items` in one-iteration loops for the static keys around it (the root), and itself."""
    loop = Loop(fanout.vars, items, fanout.body, positions=True)
    root = loop
    for depth, key in reversed(list(enumerate(fanout.keys))):  # one-iteration loops: the static keys around it
        root = Loop((f"*{depth}",), {key: None}, (root,))
    return root, loop


def collected(items: Any, members: list[Value]) -> Value:
    """What a loop over `items` gives outside it, from one member per item: a list, a dict for a dict."""
    if isinstance(items, dict):
        return DictOf(tuple((str(key), member) for key, member in zip(items, members, strict=True)))
    return ListOf(tuple(members))


def fanout_inputs(fanout: FanOut) -> list[str]:
    """The nodes outside a run-time loop that it reads: the one it iterates, and those its
    statements read (each once, in order)."""
    found: dict[str, None] = dict.fromkeys(referenced_nodes(fanout.iterable))
    stack: list[Statement | Loop] = list(fanout.body)
    while stack:
        item = stack.pop(0)
        if isinstance(item, Loop):
            stack[:0] = item.body
            continue
        values = [*item.values(), *([item.object] if item.object is not None else [])]
        for value in values:
            found.update(dict.fromkeys(v.node for v in walk(value) if type(v) is Ref))
    return list(found)


def placed_after(fanout: FanOut, decisions: tuple[Decision, ...]) -> list[str]:
    """The nodes a body that submits nodes in order (a Prefect flow's) writes a run-time loop after:
    those it reads (fanout_inputs) and, for a loop in `if` branches, those their tests read."""
    tests = {decision.name: decision.tests for decision in decisions}
    found = dict.fromkeys(fanout_inputs(fanout))
    for branch in fanout.when:
        found.update(dict.fromkeys(name for test in tests[branch.decision] for name in referenced_nodes(test)))
    return list(found)


def gathering(fanouts: tuple[FanOut, ...], value: Gathered) -> FanOut | None:
    """The run-time loop a Gathered value gathers from."""
    return next((f for f in fanouts if f.keys == value.keys and (
        value.statement in f.statements() or any(name == value.statement for name, _ in f.merged))), None)


def options_for(name: str, queries: tuple[tuple[str, str, dict[str, Any]], ...]) -> dict[str, dict[str, Any]]:
    """A node's options: those of the queries whose regex matches its whole name, per target, a
    later query winning a key (as the compiler merges them for every other node)."""
    import re  # deferred: only a run-time loop's nodes, when it expands (re is some 3 ms of a start)

    by_target: dict[str, dict[str, Any]] = {}
    for pattern, target, options in queries:
        if re.fullmatch(pattern, name):
            by_target.setdefault(target, {}).update(options)
    return {target: dict(sorted(options.items())) for target, options in by_target.items()}


def checked_items(names: int, items: Any, where: str) -> Any:
    """`items` as a run-time loop binding that many names iterates them (a tuple as a list);
    NotIterable for a value that is no list or dict, or whose items the names do not take apart."""
    what = f"the run-time loop over {where}" if where else "a run-time loop"
    if isinstance(items, tuple):
        items = list(items)
    if isinstance(items, dict):
        if names > 2:
            raise NotIterable(f"{what} binds {names} names, but {where or 'it'} is a dict "
                              "(its keys and values take two)")
        keys: dict[str, Any] = {}
        for i, key in enumerate(items):
            made = loop_key(key, i)
            if made in keys:
                raise NotIterable(f"{what}: keys {keys[made]!r} and {key!r} give the same node name key {made!r}")
            keys[made] = key
        return items
    if not isinstance(items, list):
        raise NotIterable(f"{what} needs a list or a dict; {where or 'it'} is {type(items).__name__}")
    if names > 1:
        for i, item in enumerate(items):
            if not isinstance(item, (list, tuple)) or len(item) != names:
                got = f"{len(item)} values" if isinstance(item, (list, tuple)) else type(item).__name__
                raise NotIterable(f"{what} unpacks {names} names from each item; item {i} is {got}")
    return items
