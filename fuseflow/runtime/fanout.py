"""Run-time loops on the engine: what a loop iterates taken apart, the loop expanded into its nodes.

    wf = expand_one(wf, fanout, items_of(fanout, results, params))   # runtime.stages, at each stage

A workflow with run-time loops (Workflow.fanouts) runs in stages
(runtime.stages, which makes the decisions of `if`s in the same stages): the
nodes a loop's iterable needs run first, then the loop is expanded into the
nodes its items make (FanOut.expand), and the values that gathered its
results outside it (ir.Gathered) become those nodes' results. This module has
the loops' part: what waits for a loop (`waiting_nodes`), what a stage hands
on (`handed_on`), the items (`items_of`), the expansion (`expansion`).

A generated module declares each loop as a generator function of its nodes
for given items, which `declare` makes a FanOut of (`rt.fanout`):

    def table_loop(files):
        for f_key, f in rt.items(files):
            yield rt.call(f"table.{f_key}", load, [f])

    rt.fanout(rt.ref("files"), table_loop, ["table"], reads=["files"])

The nodes get the options the file's queries select by their names, and the
results outside the loop (`rt.gathered("table", 0)`) are what runtime.bind
gives for the IR's loop (ir.expand_fanout): the same nodes, options and keys.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import ir
from ..ir.fanout import checked_items, collected
from ..ir.indexing import IndexProblem, indexed
from .bind import iterable_text
from .graph import Decision, FanOut, Node, Workflow
from .invoke import IndexingError, RunFailed, index

# Options(node, options): give a node of a run-time loop the options the file's queries select
# for it, {target: {key: value}} (ir.fanout.options_for), as the target's nodes carry them.
Options = Callable[[Node, dict[str, dict[str, Any]]], None]


# fetch(node, result): a result as run_part hands it on -> its value, for the items of a loop that
# iterates it; a target whose results stay where they ran (Ray's ObjectRefs) fetches it here.
Fetch = Callable[[str, Any], Any]


class ItemsUnknown(Exception):
    """What a run-time loop iterates is not stored: `fusec explain` and `storage gc`, which run
    nothing, leave that loop as it is."""


class LoopFailed(RunFailed):
    """A run-time loop's items are not a list or a dict, or a result gathered outside it
    cannot be indexed as the file says: the run stops there, naming the loop."""


def waiting_nodes(wf: Workflow) -> set[str]:
    """The nodes that read a run-time loop's results (ir.Gathered), and every node after them."""
    waiting: set[str] = set()
    for node, reads in zip(wf.nodes, wf.topology.needs, strict=True):
        if any(_gathers(value) for value in (*node.args, *node.kwargs.values())) or not waiting.isdisjoint(reads):
            waiting.add(node.name)
    return waiting


def _gathers(value: ir.Value) -> bool:
    return type(value) is ir.Gathered or any(type(v) is ir.Gathered for v in ir.walk(value))


def handed_on(part: list[Node], producers: list[str], wf: Workflow) -> list[str]:
    """The nodes of `part` the stage runs and whose results the rest reads: the iterables'
    producers, and what the stage computes on the way that any other node or output reads."""
    index = {node.name: node for node in part}
    stage: set[str] = set()
    stack = [name for name in producers if name in index]
    while stack:
        name = stack.pop()
        if name in stage:
            continue
        stage.add(name)
        stack.extend(read for read in wf.topology.needs[wf.index[name]] if read in index)
    read_later = {read for node, reads in zip(wf.nodes, wf.topology.needs, strict=True)
                  if node.name not in stage for read in reads}
    # a later call on an object follows the stage's calls on it: the last of them is handed on, so that
    # the rest of the run knows it ran (on the object handed on) and does not make it again
    read_later.update(before for name, before in wf.topology.previous.items() if name not in stage)
    assert wf.outputs is not None, "Workflow fills in its outputs"
    read_later.update(name for value in wf.outputs.values() for name in ir.referenced_nodes(value))
    return [node.name for node in part if node.name in stage and (node.name in read_later or node.name in producers)]


def items_of(fanout: FanOut, results: dict[str, Any], params: dict[str, Any], fetch: Fetch | None = None) -> Any:
    """The value a run-time loop iterates: a node's result or a param, indexed by its path."""
    source = fanout.iterable
    if type(source) is ir.Ref:
        found = results[source.node] if fetch is None else fetch(source.node, results[source.node])
    else:
        found = params[source.name]  # type: ignore[attr-defined]
    try:
        return index(found, source.path, fanout.where) if source.path else found  # type: ignore[attr-defined]
    except IndexingError as exc:
        raise LoopFailed(f"the run-time loop over {fanout.where}: {exc}") from None


def expand_one(wf: Workflow, fanout: FanOut, items: Any) -> Workflow:
    """`wf` with `fanout` expanded over `items`: its nodes in place, its results gathered."""
    return expansion(wf, fanout, items)[0]


def expansion(wf: Workflow, fanout: FanOut, items: Any) -> tuple[Workflow, list[Node], dict[str, ir.Value]]:
    """expand_one, and what it made: the nodes of the items (in order) and each statement's
    results outside the loop (FanOut.expand's), for a target that submits them itself."""
    try:
        made, gathered, decisions = fanout.expand(items)
    except ir.NotIterable as exc:
        raise LoopFailed(str(exc)) from None
    rewrite = _Replace(fanout.keys, gathered)

    def replace(value: ir.Value) -> ir.Value:
        replaced: ir.Value = rewrite.visit(value)
        return replaced

    nodes: list[Node] = []
    placed = False
    for node in wf.nodes:
        args = [replace(value) for value in node.args]
        kwargs = {key: replace(value) for key, value in node.kwargs.items()}
        if not placed and (args != node.args or kwargs != node.kwargs):
            nodes.extend(made)  # before the first node that reads them
            placed = True
        nodes.append(node if args == node.args and kwargs == node.kwargs else node.with_arguments(args, kwargs))
    if not placed:
        nodes.extend(made)
    assert wf.outputs is not None, "Workflow fills in its outputs"
    outputs = {name: replace(value) for name, value in wf.outputs.items()}
    rest = [f for f in wf.fanouts if f is not fanout]
    # the items' `if`s join the workflow's decisions: made in the stages to come (runtime.stages)
    return (wf.replaced(nodes=nodes, outputs=outputs, fanouts=rest, decisions=[*wf.decisions, *decisions]
                        if decisions else None), made, gathered)


def gathered_value(value: ir.Gathered, gathered: dict[str, ir.Value]) -> ir.Value:
    """A Gathered value as its loop's results (`gathered`: expansion's) make it, indexed by its
    path: ListOf(Ref("table.0"), ...), or Ref("table.0") for table[0]; LoopFailed when the
    path does not fit them."""
    replaced: ir.Value = _Replace(value.keys, gathered).visit(value)
    return replaced


class _Replace(ir.Transformer):
    """Gathered values of one run-time loop (its static keys) as the members it made."""

    def __init__(self, keys: tuple[str, ...], gathered: dict[str, ir.Value]):
        self.keys = keys
        self.gathered = gathered

    def visit_Gathered(self, value: ir.Gathered) -> ir.Value:
        if value.keys != self.keys or value.statement not in self.gathered:
            return value
        try:
            found: ir.Value = indexed(self.gathered[value.statement], value.path)
            return found
        except IndexProblem as exc:
            raise LoopFailed(f"{value.statement}{''.join(f'[{k!r}]' for k in value.path)}: {exc}") from None


# --- run-time loops as generated modules declare them ---------------------------------------


def declare(iterable: ir.Value, nodes: Callable[[Any], Iterable[Node | Decision]], statements: Iterable[str], *,
            keys: Iterable[str] = (), reads: Iterable[str] = (), names: int = 1,
            queries: Iterable[tuple[str, str, dict[str, Any]]] = (), options: Options | None = None,
            merged: dict[str, Merged] | None = None, when: Iterable[tuple[str, int]] = ()) -> FanOut:
    """A run-time loop of a generated module: `nodes(items)` yields the nodes its items make (written
    with `items`), `statements` are those of its body, `keys` the static loop iteration it is in,
    `reads` the nodes outside it that it reads, `names` how many names it binds (`for k, v in`: 2),
    `queries` the file's option queries (regex, target, options), which `options` gives each node
    (default: the neutral ones, as runtime.graph's nodes carry them). `nodes` yields the decisions
    of the `if`s of its body too (rt.decision); `merged`: the names every branch of one assigns,
    {name: (the `if`'s name, [its branches' statements])} (a branch whose own `if` assigns it in every
    branch: that `if`'s, nested), gathered as the taken branches' nodes;
    `when`: the branches of `if`s it is in, [(the `if`'s name, branch), ...], outermost first."""
    where = iterable_text(iterable)
    statements, keys, queries = tuple(statements), tuple(keys), tuple(queries)
    give = options or neutral_options
    selected: list[Callable[[str], dict[str, dict[str, Any]]]] = []  # the queries compiled, at the first expansion

    def expand(values: Any) -> tuple[list[Node], dict[str, ir.Value], list[Decision]]:
        values = checked_items(names, values, where)
        made: list[Node] = []
        decisions: list[Decision] = []
        for item in nodes(values):  # an item's nodes, and the decisions of the `if`s of its body (rt.decision)
            if isinstance(item, Decision):
                decisions.append(item)
            else:
                made.append(item)
        if not selected:
            selected.append(compiled_options(queries))
        options_of = selected[0]
        if queries or give is not neutral_options:
            for node in made:
                give(node, options_of(node.name))
        else:  # no query selects anything: the neutral options are none
            for node in made:
                if node.options:
                    node.options = {}
        gathered = gathered_results(made, statements, keys, values)
        for name, chosen in (merged or {}).items():
            gathered[name] = collected(values, [_one_of(chosen, (*keys, key)) for key, _ in items(values)])
        return made, gathered, decisions

    return FanOut(iterable, expand, statements, tuple(reads), keys, where, when, tuple(merged or {}))


# A name every branch of an `if` in a run-time loop's body assigns, as a generated module declares it:
# (the `if`'s name, [a branch's statement, or the same for the `if` of a branch, ...]).
Merged = tuple[str, list["str | Merged"]]


def _one_of(chosen: Merged, keys: tuple[str, ...]) -> ir.OneOf:
    """An item's value of a merged name: the branch its decision takes, as the item's nodes name it."""
    decision, members = chosen
    return ir.OneOf(".".join((decision, *keys)), tuple(
        ir.Ref(".".join((member, *keys))) if isinstance(member, str) else _one_of(member, keys) for member in members))


def compiled_options(queries: tuple[tuple[str, str, dict[str, Any]], ...]
                     ) -> Callable[[str], dict[str, dict[str, Any]]]:
    """ir.fanout.options_for over `queries`, their regexes compiled once."""
    if not queries:
        return lambda name: {}
    import re  # deferred, as options_for: only a run-time loop's nodes, when it expands

    matchers = [(re.compile(pattern).fullmatch, target, options) for pattern, target, options in queries]

    def options_of(name: str) -> dict[str, dict[str, Any]]:
        by_target: dict[str, dict[str, Any]] = {}
        for matches, target, options in matchers:
            if matches(name):
                by_target.setdefault(target, {}).update(options)
        return {target: dict(sorted(options.items())) for target, options in by_target.items()}

    return options_of


def neutral_options(node: Node, options: dict[str, dict[str, Any]]) -> None:
    """A node's options as runtime.graph carries them: the neutral ones."""
    node.options = dict(options.get("neutral", {}))


def items(values: Any, names: int = 1) -> list[tuple[str, Any]]:
    """(key, item) for each item of what a run-time loop iterates, as its nodes are named (ir.fanout):
    a list's by position (`table.0`), a dict's by key (ir.loop_key). A dict's item is its key, or
    (key, value) for a loop of two names (`for k, v in sizes`)."""
    if isinstance(values, dict):
        return [(ir.loop_key(key, i), key if names == 1 else (key, value))
                for i, (key, value) in enumerate(values.items())]
    return [(str(i), item) for i, item in enumerate(values)]


def gathered(statement: str, *path: Any, keys: Iterable[str] = ()) -> ir.Gathered:
    """Outside a run-time loop, the results of one of its statements, optionally indexed:
    gathered("table", 0); `keys`: the static loop iteration the loop is in."""
    return ir.Gathered(statement, tuple(keys), path)


def gathered_results(made: list[Node], statements: tuple[str, ...], keys: tuple[str, ...],
                     values: Any) -> dict[str, ir.Value]:
    """Each statement's results outside the loop, from the nodes its items made: a list in item
    order (a dict for a dict), an item's nodes in static loops inside it a family keyed as they are."""
    item_keys = [key for key, _ in items(values)]
    prefixes = {statement: ".".join((statement, *keys)) + "." for statement in statements}
    names = {node.name for node in made}
    found: dict[str, ir.Value] = {}
    nested: dict[str, str] = {}  # the statements of static loops inside the run-time loop: a family per item
    for statement, prefix in prefixes.items():
        if not item_keys or prefix + item_keys[0] in names:  # one node per item, named by the item's key
            found[statement] = collected(values, [ir.Ref(prefix + key) for key in item_keys])
        else:
            nested[statement] = prefix
    if nested:
        found.update(_families(made, nested, item_keys, values))
    return {statement: found[statement] for statement in statements}


def _families(made: list[Node], prefixes: dict[str, str], item_keys: list[str], values: Any
              ) -> dict[str, ir.Value]:
    """gathered_results of statements in static loops inside the run-time loop: each item's family."""
    trees: dict[str, dict[str, Any]] = {statement: {key: {} for key in item_keys} for statement in prefixes}
    for node in made:
        name = node.name
        for statement, prefix in prefixes.items():
            if name.startswith(prefix):
                item, *inner = name[len(prefix):].split(".")
                place = trees[statement][item]
                for key in inner[:-1]:
                    place = place.setdefault(key, {})
                place[inner[-1]] = ir.Ref(name)
                break
    return {statement: collected(values, [_member(statement, trees[statement][key]) for key in item_keys])
            for statement in prefixes}


def _member(statement: str, tree: Any) -> ir.Value:
    if type(tree) is not dict:
        return tree  # type: ignore[no-any-return]
    return ir.Family(statement, tuple((key, _member(statement, inner)) for key, inner in tree.items()))
