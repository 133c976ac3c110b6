"""The intermediate DAG every target is generated from: plain data, JSON round-trip.

Argument values are small tagged dicts, so they serialize as they are:

    {"literal": 3}                         a constant (any JSON value)
    {"param": "a", "path": ()}             a run-time parameter, optionally indexed
    {"ref": "s1", "path": (0, "X")}        a node's result, optionally indexed
    {"family": "acc", "members": [[key, value], ...]}
                                           every node of a loop family, keyed by loop key
                                           (members nest for nested loops); a dict at run time
    {"list": [value, ...]}                 a list holding references
    {"dict": [[key, value], ...]}          a dict holding references
    {"callable": "module:qualname"}        an imported function passed as a value

An index path is a tuple in memory (a list in JSON): a value without a
list in it is not tracked by Python's cyclic garbage collector, which would
otherwise walk every argument of a 100,000-node workflow once more. Equal
values and option dicts may be one object shared by many nodes, so the IR is
read-only: a target that needs a changed value builds a new one.

Nodes are in a topological order (source order after loop expansion).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Iterator

IR_VERSION = 1
TARGETS = ("neutral", "ray", "prefect", "kfp")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str  # int float str bool list dict
    default: Any = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    name: str | None  # None for `import module as alias`
    alias: str


@dataclass(frozen=True, slots=True)
class Node:
    """One call of the workflow.

    kind "call": `target` is "module:qualname". kind "object": the same, the
    callable builds an object whose methods later nodes call. kind "method":
    `target` is the method name and `object` the object node; `after` orders
    the method calls of one object in source order.
    """

    name: str
    kind: str
    target: str
    args: tuple[dict, ...] = ()
    kwargs: tuple[tuple[str, dict], ...] = ()
    object: str | None = None
    after: tuple[str, ...] = ()
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    statement: str = ""  # the name in the source (a loop family's name)
    keys: tuple[str, ...] = ()  # loop keys, outermost first
    span: tuple[int, int, int, int] = (0, 0, 0, 0)

    def values(self) -> Iterator[dict]:
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


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    value: dict


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    source: str
    params: tuple[Param, ...] = ()
    imports: tuple[Import, ...] = ()
    nodes: tuple[Node, ...] = ()
    storage: str | None = None
    outputs: tuple[Output, ...] = ()
    workflow_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def node(self, name: str) -> Node:
        return self.node_index()[name]

    def node_index(self) -> dict[str, Node]:
        return {node.name: node for node in self.nodes}

    def to_json(self) -> str:
        return dumps(to_data(self)) + "\n"

    @staticmethod
    def from_json(text: str) -> "Workflow":
        return from_data(json.loads(text))


def referenced_nodes(value: dict) -> Iterator[str]:
    """Every node name an argument value reads, in order."""
    if "ref" in value:
        yield value["ref"]
    elif "family" in value:
        for _, member in value["members"]:
            yield from referenced_nodes(member)
    elif "list" in value:
        for item in value["list"]:
            yield from referenced_nodes(item)
    elif "dict" in value:
        for _, item in value["dict"]:
            yield from referenced_nodes(item)


def referenced_params(value: dict) -> Iterator[str]:
    if "param" in value:
        yield value["param"]
    elif "list" in value:
        for item in value["list"]:
            yield from referenced_params(item)
    elif "dict" in value:
        for _, item in value["dict"]:
            yield from referenced_params(item)


# --- JSON --------------------------------------------------------------------

JSON_WIDTH = 100


def dumps(value: Any, indent: int = 0, lead: int = 0) -> str:
    """JSON with short lists and dicts on one line, so golden diffs stay readable.

    A list or dict goes on one line when that line (with its indentation and
    key, `lead`) fits in JSON_WIDTH columns; otherwise one item per line. The
    outermost value is always spread out. Deterministic: it depends only on
    the value.
    """
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (list, tuple, dict)) or not value or (indent and indent + lead + len(flat) < JSON_WIDTH):
        return flat
    pad = " " * (indent + 2)
    if not isinstance(value, dict):
        items = [pad + dumps(item, indent + 2) for item in value]
    else:
        items = []
        for key, item in value.items():
            head = json.dumps(key, ensure_ascii=False) + ": "
            items.append(pad + head + dumps(item, indent + 2, len(head)))
    open_, close = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return open_ + "\n" + ",\n".join(items) + "\n" + " " * indent + close


def _fields(record: Any) -> dict:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def to_data(wf: Workflow) -> dict:
    return {
        "fuseflow_ir": IR_VERSION,
        "name": wf.name,
        "source": wf.source,
        "params": [_fields(p) for p in wf.params],
        "imports": [_fields(i) for i in wf.imports],
        "storage": wf.storage,
        "workflow_options": wf.workflow_options,
        "nodes": [_node_data(node) for node in wf.nodes],
        "outputs": [{"name": o.name, "value": o.value} for o in wf.outputs],
    }


def _node_data(node: Node) -> dict:
    return {
        "name": node.name,
        "kind": node.kind,
        "target": node.target,
        "object": node.object,
        "args": list(node.args),
        "kwargs": [[k, v] for k, v in node.kwargs],
        "after": list(node.after),
        "options": node.options,
        "statement": node.statement,
        "keys": list(node.keys),
        "span": list(node.span),
    }


def from_data(data: dict) -> Workflow:
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
    )


def _node_from(data: dict) -> Node:
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
    )


def value_from_data(value: dict) -> dict:
    """An argument value read from JSON, in its in-memory form: index paths are tuples."""
    if "path" in value:  # built anew: a dict that once held a list stays tracked
        return {key: tuple(item) if key == "path" else item for key, item in value.items()}
    if "list" in value:
        return {"list": [value_from_data(item) for item in value["list"]]}
    if "dict" in value:
        return {"dict": [[key, value_from_data(item)] for key, item in value["dict"]]}
    if "family" in value:
        return {"family": value["family"], "members": [[key, value_from_data(m)] for key, m in value["members"]]}
    return value
