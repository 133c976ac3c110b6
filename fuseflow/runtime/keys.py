"""Cache keys: what determines a node's result, hashed.

A key covers the callable's identity and source code, every argument value
(literals and params), the keys of the upstream results it reads (with the
index path), the object and earlier method calls for a method, and the seed.
So a changed param changes the keys of exactly the nodes that read it, and of
their dependents; an unchanged rerun has the same keys and recomputes nothing.
"""
from __future__ import annotations

import hashlib
import inspect
from typing import Any, Callable

from .graph import Node, ParamRef, Ref, Struct, Workflow

KEY_VERSION = b"fuseflow-key-1\x00"
_source_hashes: dict[int, tuple[Callable, str]] = {}


def compute_keys(wf: Workflow, params: dict[str, Any], options: list[dict] | None = None) -> dict[str, str]:
    """node name -> hex key, for every node, in one pass in topological order.

    `options`: the effective options by node index (with run-time overrides),
    when they differ from the compiled ones; only `seed` enters the key."""
    keys: dict[str, str] = {}
    heads: dict[int, str] = {}  # id(callable) -> identity text, once per callable
    previous = wf.topology.previous
    for i, node in enumerate(wf.nodes):
        if node.kind == "method":
            head = f"method:{node.method}\x00{keys[previous[node.name]]}"
        else:
            head = heads.get(id(node.fn))
            if head is None:
                head = heads[id(node.fn)] = callable_identity(node)
        parts = [head]
        for value in node.args:
            parts.append(fingerprint(value, params, keys))
        for name, value in node.kwargs.items():
            parts.append(f"{name}={fingerprint(value, params, keys)}")
        seed = (options[i] if options is not None else node.options).get("seed")
        if seed is not None:
            parts.append(f"seed={seed}")
        keys[node.name] = hashlib.sha256(KEY_VERSION + "\x00".join(parts).encode()).hexdigest()[:32]
    return keys


def callable_identity(node: Node) -> str:
    if node.kind == "method":
        return f"method:{node.method}"
    return f"{qualified_name(node.fn)}:{source_hash(node.fn)}"


def qualified_name(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


def source_hash(fn: Callable) -> str:
    """A hash of the function's (or class's) source; cached per object."""
    cached = _source_hashes.get(id(fn))
    if cached is not None and cached[0] is fn:
        return cached[1]
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        text = repr(code.co_code) if code is not None else qualified_name(fn)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    _source_hashes[id(fn)] = (fn, digest)
    return digest


def fingerprint(value: Any, params: dict[str, Any], keys: dict[str, str]) -> str:
    """A canonical text for an argument: the same value always gives the same text."""
    kind = type(value)
    if kind is Ref:
        return f"@{keys[value.node]}{value.path!r}" if value.path else "@" + keys[value.node]
    if kind is ParamRef:
        return f"${literal_text(params[value.name])}{value.path!r}"
    if kind is Struct:
        return "S" + fingerprint(value.value, params, keys)
    if kind is list or kind is tuple:
        return "[" + ",".join(fingerprint(v, params, keys) for v in value) + "]"
    if kind is dict:
        return "{" + ",".join(f"{k!r}:{fingerprint(v, params, keys)}" for k, v in value.items()) + "}"
    return literal_text(value)


def literal_text(value: Any) -> str:
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return f"{kind.__name__}:{value!r}"
    if kind is list or kind is tuple:
        return "[" + ",".join(literal_text(v) for v in value) + "]"
    if kind is dict:
        return "{" + ",".join(f"{k!r}:{literal_text(v)}" for k, v in value.items()) + "}"
    if callable(value):
        return f"fn:{qualified_name(value)}:{source_hash(value)}"
    return f"{kind.__module__}.{kind.__qualname__}:{value!r}"
