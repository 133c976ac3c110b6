"""The workflow records of the IR: params, imports, nodes, outputs, loop descriptions.

Frozen records (fuseflow.ir.record); argument values are the typed records of
fuseflow.ir.values. Nodes are in a topological order (source order after
loop expansion). Option dicts may be one object shared by many nodes: the
IR is read-only, and a pass that needs a change builds a new record
(`record.replace`).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .conditions import Branch, Decision
from .json import IR_VERSION, dumps, value_from_data, value_to_data
from .loops import FanOut, Loop, Statement
from .record import field, fields, record
from .values import Value, constant, data_of, holds_imported
from .walk import referenced_nodes


@record
class Param:
    name: str
    type: str  # int float str bool list dict
    default: Any = None
    required: bool = True


@record
class Import:
    module: str
    name: str | None  # None for `import module as alias`
    alias: str


@record
class Use:
    """A call of another workflow (`r = prep(...)` after `use "lib/prep.fuse" as prep`), inlined:
    its nodes are named `r.<node>` and keep their results where that file keeps them, as
    `workflow` (its name) and their own names, so a run of either file loads what the other
    stored. `source` is the used file's path relative to this file's folder (POSIX). A used
    file's own uses come too, prefixed: `r.c` for its `c = clean(...)`."""

    prefix: str
    workflow: str
    source: str


@record
class Node:
    """One call of the workflow.

    kind "call": `target` is "module:qualname". kind "object": the same, the
    callable builds an object whose methods later nodes call. kind "method":
    `target` is the method name and `object` the object node.

    `after`: the nodes it runs after although no data flows: those the file names
    (`y = f(a) after x`), and for a method call, first, the call before it on its
    object, which orders the calls of one object in source order (when the file names
    nodes of its own, that first edge is always there: the object itself for its first
    call). `declared_after` is the file's part.
    """

    name: str
    kind: str
    target: str
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str, Value], ...] = ()
    object: str | None = None
    after: tuple[str, ...] = ()
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    statement: str = ""  # the name in the source (a loop family's name)
    keys: tuple[str, ...] = ()  # loop keys, outermost first
    span: tuple[int, int, int, int] = (0, 0, 0, 0)
    use: str = ""  # the prefix of the innermost used workflow it comes from (Workflow.uses), if any
    final: bool = False  # in `finally`: runs after the rest, on success and on failure, never stored
    when: tuple[Branch, ...] = ()  # the branches of `if`s it is in, outermost first (ir.conditions)

    @property
    def declared_after(self) -> tuple[str, ...]:
        """The nodes the file says it runs after (`y = f(a) after x`), without a method call's
        ordering on its object."""
        return self.after[1:] if self.kind == "method" else self.after

    @property
    def stored_as(self) -> str:
        """The name its results are kept under (in its used workflow's folder: Workflow.address)."""
        return self.name[len(self.use) + 1:] if self.use else self.name

    def values(self) -> Iterator[Value]:
        yield from self.args
        for _, value in self.kwargs:
            yield value

    def dependencies(self) -> list[str]:
        """Upstream node names: data edges first, then ordering edges, no repeats."""
        seen: dict[str, None] = {}
        if self.object:
            seen[self.object] = None
        for value in self.values():
            for name in referenced_nodes(value):
                seen[name] = None
        for name in self.after:
            seen[name] = None
        return list(seen)


def ordering(kind: str, object: str | None, chained: tuple[str, ...], declared: tuple[str, ...]) -> tuple[str, ...]:
    """Node.after of a node of `kind` whose file names `declared` (`chained`: a method call's
    edge to the call before it on its object, or nothing for its object's first call)."""
    if kind != "method":
        return declared
    if not declared:
        return chained
    assert object is not None, "a method call names its object"
    return (chained[0] if chained else object, *declared)


@record
class Output:
    name: str
    value: Value


@record
class Workflow:
    name: str
    source: str
    params: tuple[Param, ...] = ()
    imports: tuple[Import, ...] = ()
    nodes: tuple[Node, ...] = ()
    storage: str | None = None
    outputs: tuple[Output, ...] = ()
    workflow_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    loops: tuple[Loop, ...] = ()  # the top-level loops as written (fuseflow.ir.loops), where they can be
    uses: tuple[Use, ...] = ()  # the workflows `use`d and called, inlined (outermost first)
    fanouts: tuple[FanOut, ...] = ()  # run-time loops (fuseflow.ir.fanout), expanded when the workflow runs
    decisions: tuple[Decision, ...] = ()  # the `if` chains (fuseflow.ir.conditions), in source order
    # whether the file says `return`: its outputs are then all a run needs; without it a run also runs
    # the nodes nothing reads inside the `if` branches it takes, which are no outputs (fuseflow.ir.needed)
    returned: bool = False

    def stored_at(self, node: Node) -> tuple[str, str]:
        """(workflow, node) its results are kept under: a used workflow's node is kept as that
        workflow keeps it."""
        if not node.use:
            return self.name, node.name
        workflow = next(use.workflow for use in self.uses if use.prefix == node.use)
        return workflow, node.stored_as

    def node(self, name: str) -> Node:
        return self.node_index()[name]

    def node_index(self) -> dict[str, Node]:
        return {node.name: node for node in self.nodes}

    def to_json(self) -> str:
        return dumps(to_data(self)) + "\n"

    @staticmethod
    def from_json(text: str) -> Workflow:
        return from_data(json.loads(text))


# --- JSON (fusec compile --target ir; docs/ir.md) ---------------------------------------


def to_data(wf: Workflow) -> dict[str, Any]:
    return {
        "fuseflow_ir": IR_VERSION,
        "name": wf.name,
        "source": wf.source,
        "params": [_fields(p) for p in wf.params],
        "imports": [_fields(i) for i in wf.imports],
        "storage": wf.storage,
        "workflow_options": wf.workflow_options,
        "nodes": [_node_data(node) for node in wf.nodes],
        "outputs": [{"name": o.name, "value": value_to_data(o.value)} for o in wf.outputs],
        "loops": [_loop_data(loop) for loop in wf.loops],
        **({"uses": [_fields(use) for use in wf.uses]} if wf.uses else {}),
        **({"fanouts": [_fanout_data(fanout) for fanout in wf.fanouts]} if wf.fanouts else {}),
        **({"decisions": [_decision_data(decision) for decision in wf.decisions]} if wf.decisions else {}),
        **({"returned": True} if wf.returned else {}),
    }


def _fields(item: Param | Import | Use) -> dict[str, Any]:
    return {name: getattr(item, name) for name in fields(item)}


def _node_data(node: Node) -> dict[str, Any]:
    return {
        "name": node.name,
        "kind": node.kind,
        "target": node.target,
        "object": node.object,
        "args": [value_to_data(v) for v in node.args],
        "kwargs": [[k, value_to_data(v)] for k, v in node.kwargs],
        "after": list(node.after),
        "options": node.options,
        "statement": node.statement,
        "keys": list(node.keys),
        "span": list(node.span),
        **({"use": node.use} if node.use else {}),
        **({"final": True} if node.final else {}),
        **({"when": [[branch.decision, branch.index] for branch in node.when]} if node.when else {}),
    }


def _decision_data(decision: Decision) -> dict[str, Any]:
    return {
        "name": decision.name,
        "tests": [value_to_data(test) for test in decision.tests],
        "else": decision.has_else,
        "keys": list(decision.keys),
        "span": list(decision.span),
        **({"when": [[branch.decision, branch.index] for branch in decision.when]} if decision.when else {}),
    }


def _loop_data(loop: Loop) -> dict[str, Any]:
    return {
        "vars": list(loop.vars),
        # items holding imported names are written as a value (`{"list": [...]}`), plain data as itself
        **({"items_value": value_to_data(constant(loop.items))} if holds_imported(loop.items)
           else {"items": loop.items}),
        "let": loop.let,
        "span": list(loop.span),
        **({"positions": True} if loop.positions else {}),
        "body": [_loop_data(item) if isinstance(item, Loop) else _statement_data(item) for item in loop.body],
    }


def _fanout_data(fanout: FanOut) -> dict[str, Any]:
    return {
        "vars": list(fanout.vars),
        "iterable": value_to_data(fanout.iterable),
        "keys": list(fanout.keys),
        "span": list(fanout.span),
        "body": [_loop_data(item) if isinstance(item, Loop) else _statement_data(item) for item in fanout.body],
        "queries": [list(query) for query in fanout.queries],
        **({"decisions": [_decision_data(decision) for decision in fanout.decisions]} if fanout.decisions else {}),
        **({"merged": [[name, value_to_data(value)] for name, value in fanout.merged]} if fanout.merged else {}),
        **({"when": [[branch.decision, branch.index] for branch in fanout.when]} if fanout.when else {}),
    }


def _statement_data(s: Statement) -> dict[str, Any]:
    return {
        "statement": s.name,
        "kind": s.kind,
        "target": s.target,
        "object": value_to_data(s.object) if s.object is not None else None,
        "args": [value_to_data(v) for v in s.args],
        "kwargs": [[k, value_to_data(v)] for k, v in s.kwargs],
        **({"after": [value_to_data(v) for v in s.after]} if s.after else {}),
        "span": list(s.span),
        **({"when": [[branch.decision, branch.index] for branch in s.when]} if s.when else {}),
    }


def from_data(data: dict[str, Any]) -> Workflow:
    if data.get("fuseflow_ir") != IR_VERSION:
        raise ValueError(f"unsupported IR version {data.get('fuseflow_ir')!r}; this fusec reads {IR_VERSION}")
    return Workflow(
        name=data["name"],
        source=data["source"],
        params=tuple(Param(**p) for p in data["params"]),
        imports=tuple(Import(**i) for i in data["imports"]),
        nodes=tuple(_node_from(n) for n in data["nodes"]),
        storage=data["storage"],
        outputs=tuple(Output(o["name"], value_from_data(o["value"])) for o in data["outputs"]),
        workflow_options=data["workflow_options"],
        loops=tuple(_loop_from(loop) for loop in data.get("loops", ())),  # none in IR written before them
        uses=tuple(Use(**use) for use in data.get("uses", ())),
        fanouts=tuple(_fanout_from(fanout) for fanout in data.get("fanouts", ())),
        decisions=tuple(_decision_from(decision) for decision in data.get("decisions", ())),
        returned=data.get("returned", False),
    )


def _decision_from(data: dict[str, Any]) -> Decision:
    return Decision(name=data["name"], tests=tuple(map(value_from_data, data["tests"])), keys=tuple(data["keys"]),
                    span=tuple(data["span"]), when=_branches(data.get("when", ())), has_else=data["else"])


def _branches(data: Any) -> tuple[Branch, ...]:
    return tuple(Branch(decision, index) for decision, index in data)


def _node_from(data: dict[str, Any]) -> Node:
    return Node(
        name=data["name"],
        kind=data["kind"],
        target=data["target"],
        object=data["object"],
        args=tuple(map(value_from_data, data["args"])),
        kwargs=tuple((k, value_from_data(v)) for k, v in data["kwargs"]),
        after=tuple(data["after"]),
        options=data["options"],
        statement=data["statement"],
        keys=tuple(data["keys"]),
        span=tuple(data["span"]),
        use=data.get("use", ""),
        final=data.get("final", False),
        when=_branches(data.get("when", ())),
    )


def _loop_from(data: dict[str, Any]) -> Loop:
    body = tuple(_loop_from(item) if "vars" in item else _statement_from(item) for item in data["body"])
    items = data_of(value_from_data(data["items_value"])) if "items_value" in data else data["items"]
    return Loop(vars=tuple(data["vars"]), items=items, body=body, let=data["let"], span=tuple(data["span"]),
                positions=data.get("positions", False))


def _fanout_from(data: dict[str, Any]) -> FanOut:
    body = tuple(_loop_from(item) if "vars" in item else _statement_from(item) for item in data["body"])
    return FanOut(vars=tuple(data["vars"]), iterable=value_from_data(data["iterable"]), body=body,
                  keys=tuple(data["keys"]), span=tuple(data["span"]),
                  queries=tuple((pattern, target, options) for pattern, target, options in data["queries"]),
                  decisions=tuple(_decision_from(decision) for decision in data.get("decisions", ())),
                  merged=tuple((name, value_from_data(value)) for name, value in data.get("merged", ())),
                  when=_branches(data.get("when", ())))


def _statement_from(data: dict[str, Any]) -> Statement:
    return Statement(
        name=data["statement"],
        kind=data["kind"],
        target=data["target"],
        args=tuple(map(value_from_data, data["args"])),
        kwargs=tuple((k, value_from_data(v)) for k, v in data["kwargs"]),
        object=value_from_data(data["object"]) if data["object"] is not None else None,
        after=tuple(map(value_from_data, data.get("after", ()))),
        span=tuple(data["span"]),
        when=_branches(data.get("when", ())),
    )
