"""The workflow as generated code declares it: nodes, their arguments, params, outputs.

Generated modules build one `Workflow` from these pieces, one line per node:

    rt.call("s2", add, [rt.ref("s1"), rt.param("b")])
    rt.obj("counter", IncrementalSum, [], {"start": rt.ref("one")})
    rt.method("six", "counter", "add", [rt.ref("one")])

An argument is a plain Python value (a literal) or one of the markers below,
which the executor replaces by a node's result or a param's value.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .params import Param


class Ref:
    """A node's result, optionally indexed: ref("split", "x_train")."""

    __slots__ = ("node", "path")

    def __init__(self, node: str, path: tuple = ()):
        self.node = node
        self.path = path

    def __repr__(self) -> str:
        return f"ref({', '.join(repr(p) for p in (self.node, *self.path))})"


class ParamRef:
    """A run-time param's value, optionally indexed."""

    __slots__ = ("name", "path")

    def __init__(self, name: str, path: tuple = ()):
        self.name = name
        self.path = path

    def __repr__(self) -> str:
        return f"param({', '.join(repr(p) for p in (self.name, *self.path))})"


class Struct:
    """A list or dict literal that holds references, resolved element by element.
    A loop family used outside its loop is one: a dict keyed by loop key."""

    __slots__ = ("value", "family")

    def __init__(self, value: list | dict, family: str | None = None):
        self.value = value
        self.family = family

    def __repr__(self) -> str:
        return f"family({self.family!r}, {self.value!r})" if self.family else f"struct({self.value!r})"


MARKERS = (Ref, ParamRef, Struct)


def ref(node: str, *path: Any) -> Ref:
    return Ref(node, path)


def param(name: str, *path: Any) -> ParamRef:
    return ParamRef(name, path)


def struct(value: list | dict) -> Struct:
    return Struct(value)


def family(name: str, members: dict) -> Struct:
    """A loop family: {loop key: ref(...)}; nested loops nest plain dicts."""
    return Struct({k: family(name, v) if type(v) is dict else v for k, v in members.items()}, family=name)


@dataclass(eq=False)
class Node:
    """One call. kind "call" and "object" call `fn`; "method" calls `method` on the
    object made by node `object`, after the earlier method calls on it."""

    name: str
    kind: str
    fn: Callable | None
    args: list
    kwargs: dict
    options: dict = field(default_factory=dict)
    object: str | None = None
    method: str | None = None

    def inputs(self) -> Iterator[str]:
        """Names of the nodes whose results this node reads (with repeats)."""
        for value in (*self.args, *self.kwargs.values()):
            yield from referenced(value)


def referenced(value: Any) -> Iterator[str]:
    if type(value) is Ref:
        yield value.node
    elif type(value) is Struct:
        items = value.value.values() if isinstance(value.value, dict) else value.value
        for item in items:
            yield from referenced(item)


def referenced_params(value: Any) -> Iterator[str]:
    if type(value) is ParamRef:
        yield value.name
    elif type(value) is Struct:
        items = value.value.values() if isinstance(value.value, dict) else value.value
        for item in items:
            yield from referenced_params(item)


def call(name: str, fn: Callable, args: list | None = None, kwargs: dict | None = None, *,
         options: dict | None = None) -> Node:
    return Node(name, "call", fn, list(args or ()), dict(kwargs or {}), dict(options or {}))


def obj(name: str, cls: Callable, args: list | None = None, kwargs: dict | None = None, *,
        options: dict | None = None) -> Node:
    return Node(name, "object", cls, list(args or ()), dict(kwargs or {}), dict(options or {}))


def method(name: str, object_node: str, method_name: str, args: list | None = None,
           kwargs: dict | None = None, *, options: dict | None = None) -> Node:
    return Node(name, "method", None, list(args or ()), dict(kwargs or {}), dict(options or {}),
                object=object_node, method=method_name)


@dataclass(eq=False)
class Workflow:
    """A compiled workflow: what `fusec compile --target local` writes out."""

    name: str
    nodes: list[Node]
    params: list[Param] = field(default_factory=list)
    outputs: dict[str, Any] | None = None  # None: every node no other node reads (objects aside)
    storage: str | None = None
    source: str = ""
    home: str | None = None  # directory relative storage paths resolve against
    overrides: list = field(default_factory=list)  # from query(...).set(...)

    def __post_init__(self) -> None:
        if self.home and Path(self.home).suffix:  # given __file__: use its folder
            self.home = str(Path(self.home).resolve().parent)
        self.index = {node.name: i for i, node in enumerate(self.nodes)}
        if self.outputs is None:
            read = {name for reads in self.topology.reads for name in reads}
            self.outputs = {n.name: Ref(n.name) for n in self.nodes if n.kind != "object" and n.name not in read}

    @functools.cached_property
    def topology(self) -> "Topology":
        """What every run needs to know about the graph, worked out once."""
        return Topology(self.nodes)

    def query(self, pattern: str):
        """Select nodes by regex (full match) to override their options: wf.query("m.*").set(retries=2)."""
        from .overrides import Query

        return Query(self.overrides, pattern)

    def run(self, params: dict | None = None, **settings: Any) -> dict[str, Any]:
        """Run locally and return {output name: value}. Settings: see prepare.RunSettings."""
        from .execute import run
        from .prepare import RunSettings

        return run(self, params or {}, RunSettings(**settings))


class Topology:
    """Per-node facts every run uses, computed once per workflow (lists are by node index).

    reads: the distinct nodes whose results the node's arguments read.
    needs: reads, plus the object for a method: the results that must be live to run it.
    previous: method node -> the node before it on the same object (a method or the object).
    plain: True when no argument holds a marker, so the arguments are used as they are.
    refs: when every argument is a whole result (and there are no keyword
    arguments), the names of those nodes in order, else None: the fast path.
    """

    __slots__ = ("reads", "needs", "previous", "plain", "refs")

    def __init__(self, nodes: list[Node]):
        self.reads: list[tuple[str, ...]] = []
        self.needs: list[tuple[str, ...]] = []
        self.previous: dict[str, str] = {}
        self.plain: list[bool] = []
        self.refs: list[tuple[str, ...] | None] = []
        last: dict[str, str] = {}
        for node in nodes:
            reads = tuple(dict.fromkeys(node.inputs()))
            self.reads.append(reads)
            if node.kind == "method":
                self.previous[node.name] = last.get(node.object, node.object)
                last[node.object] = node.name
                reads = reads if node.object in reads else (*reads, node.object)
            self.needs.append(reads)
            values = (*node.args, *node.kwargs.values())
            self.plain.append(not any(type(v) in MARKERS for v in values))
            whole = not node.kwargs and all(type(a) is Ref and not a.path for a in node.args)
            self.refs.append(tuple(a.node for a in node.args) if whole else None)
