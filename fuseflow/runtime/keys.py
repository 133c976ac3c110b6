"""Cache keys: what determines a node's result, hashed.

A key covers the callable's identity and source code, every argument value
(literals and params), the keys of the upstream results it reads (with the
index path), the object and earlier method calls for a method, and the seed.
So a changed param changes the keys of exactly the nodes that read it, and of
their dependents; an unchanged rerun has the same keys and recomputes nothing.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, cast

from .. import ir
from ..digest import blake2b, sha256
from .graph import Node, Workflow

KEY_VERSION = "fuseflow-key-2\x00"
_source_hashes: dict[int, tuple[Callable[..., Any], str]] = {}

# A node's key text with %s holes; what fills each hole, in order: a node name (its
# key goes in) or an argument (fingerprinted at run time); whether all are names.
KeyTemplate = tuple[str, tuple[str | ir.Value, ...], bool]


def compute_keys(wf: Workflow, params: dict[str, Any], options: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """node name -> hex key, for every node, in one pass in topological order.

    `options`: the effective options by node index (with run-time overrides),
    when they differ from the compiled ones; only `seed` enters the key.
    What does not change between runs (callables, literals) is worked out
    once per workflow (`templates`); a run fills in upstream keys and params."""
    keys: dict[str, str] = {}
    for i, (node, template) in enumerate(zip(wf.nodes, templates(wf), strict=True)):
        seed = (options[i] if options is not None else node.options).get("seed")
        keys[node.name] = finish_key(template, params, keys, seed)
    return keys


def finish_key(template: KeyTemplate, params: dict[str, Any], keys: dict[str, str], seed: Any = None) -> str:
    """One node's key from its template, the params and the upstream keys known so far.
    Every target computes keys through here (KFP steps one node at a time)."""
    text, holes, names_only = template
    if names_only:
        text %= tuple(map(keys.__getitem__, cast("tuple[str, ...]", holes)))
    elif holes:
        text %= tuple([keys[h] if type(h) is str else fingerprint(h, params, keys) for h in holes])
    if seed is not None:
        text += f"\x00seed={seed}"
    # 128-bit blake2b: faster than sha256 for texts this short
    return blake2b(text.encode(), digest_size=16).hexdigest()


_templates: weakref.WeakKeyDictionary[Workflow, list[KeyTemplate]] = weakref.WeakKeyDictionary()


def templates(wf: Workflow) -> list[KeyTemplate]:
    """Per node, the key text with %s holes, what fills each hole (a node name,
    for its key: an upstream result or the previous call on an object; or an
    argument to fingerprint at run time: params, indexed results, structures),
    and whether the holes are all node names (the fast path)."""
    found = _templates.get(wf)
    if found is None:
        found = _templates[wf] = [_template(node, wf.topology.previous) for node in wf.nodes]
    return found


def _template(node: Node, previous: dict[str, str]) -> KeyTemplate:
    holes: list[str | ir.Value] = []

    def hole(value: ir.Value) -> str:
        if type(value) is ir.Ref and not value.path:
            holes.append(value.node)
            return "@%s"
        if type(value) is not ir.Literal:
            holes.append(value)
            return "%s"
        return literal_text(value.value).replace("%", "%%")

    if node.kind == "method":
        holes.append(previous[node.name])
        parts = [f"method:{node.method}".replace("%", "%%") + "\x00%s"]
    else:
        parts = [callable_identity(node).replace("%", "%%")]
    parts += [hole(value) for value in node.args]
    parts += [f"{name}={hole(value)}" for name, value in node.kwargs.items()]
    text = KEY_VERSION + "\x00".join(parts)
    return text, tuple(holes), all(type(h) is str for h in holes)


def callable_identity(node: Node) -> str:
    if node.kind == "method":
        return f"method:{node.method}"
    assert node.fn is not None, "only a method call has no callable"
    return f"{qualified_name(node.fn)}:{source_hash(node.fn)}"


def qualified_name(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


def source_hash(fn: Callable[..., Any]) -> str:
    """A hash of the function's (or class's) source; cached per object."""
    cached = _source_hashes.get(id(fn))
    if cached is not None and cached[0] is fn:
        return cached[1]
    import inspect  # deferred: a run that keeps nothing computes no keys, and inspect is 4 ms of a start

    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        text = repr(code.co_code) if code is not None else qualified_name(fn)
    digest = sha256(text.encode()).hexdigest()[:16]
    _source_hashes[id(fn)] = (fn, digest)
    return digest


def fingerprint(value: object, params: dict[str, Any], keys: dict[str, str]) -> str:
    """A canonical text for an argument (an IR value, or a plain value as a Literal
    holds it): the same value always gives the same text."""
    if type(value) is ir.Literal:
        return literal_text(value.value)
    if type(value) is ir.Ref:
        return f"@{keys[value.node]}{value.path!r}" if value.path else "@" + keys[value.node]
    if type(value) is ir.ParamRef:
        return _param_fingerprint(value, params)
    if type(value) is ir.ListOf:
        return "S[" + ",".join(fingerprint(v, params, keys) for v in value.items) + "]"
    if type(value) is ir.DictOf:
        return _dict_fingerprint(value.items, params, keys)
    if type(value) is ir.Family:  # a family is a dict keyed by loop key
        return _dict_fingerprint(value.members, params, keys)
    return literal_text(value)  # a plain value, as a Literal holds it


def _param_fingerprint(value: ir.ParamRef, params: dict[str, Any]) -> str:
    """A param's value, indexed, as the literal of that value is fingerprinted: a node whose
    argument is `n` with n=3 has the key of one whose argument is 3, which is how a used
    workflow's node (its params bound by the call) shares its results with a run of its file."""
    found = params[value.name]
    for step in value.path:
        try:
            found = found[step]
        except (LookupError, TypeError):  # the node fails when it runs; its key only has to differ
            return f"${literal_text(params[value.name])}{value.path!r}"
    return literal_text(found)


def _dict_fingerprint(pairs: tuple[tuple[str, ir.Value], ...], params: dict[str, Any], keys: dict[str, str]) -> str:
    return "S{" + ",".join(f"{k!r}:{fingerprint(v, params, keys)}" for k, v in pairs) + "}"


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
