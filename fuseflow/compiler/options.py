"""`options` blocks -> effective options per node per target.

Entries apply in source order; a later entry wins key by key, and a target
block's keys sit beside the neutral ones (each target maps the neutral keys to
its own and lets its own win). Regexes full-match node names, as in
functionfuse's `query(pattern)`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from ..schemas import TARGETS, check_option
from . import nodes as n
from .errors import Diagnostics, suggest

# What the `constant` callback returns for a value it has already reported as wrong.
INVALID = object()

TargetOptions: TypeAlias = dict[str, dict[str, Any]]  # target -> option -> value


@dataclass(frozen=True)
class Query:
    target: str
    pattern: re.Pattern[str]
    options: dict[str, Any]
    span: n.Span


def collect(
    statements: tuple[n.Stmt, ...], constant: Callable[[n.Expr], Any], diags: Diagnostics
) -> tuple[list[Query], TargetOptions]:
    """The node queries in order, and the merged `workflow:` options per target."""
    queries: list[Query] = []
    workflow: TargetOptions = {}
    for stmt in statements:
        if not isinstance(stmt, n.OptionsStmt):
            continue
        if stmt.target not in TARGETS:
            guess = suggest(stmt.target, TARGETS[1:])
            hint = f"did you mean '{guess}'?" if guess else "expected ray, prefect or kfp (or no name for every target)"
            diags.error(stmt.target_span, f"unknown target '{stmt.target}' in options", hint)
            continue
        for entry in stmt.entries:
            scope = "node" if entry.pattern is not None else "workflow"
            values = _checked_items(stmt.target, entry.items, scope, constant, diags)
            if entry.pattern is None:
                workflow.setdefault(stmt.target, {}).update(values)
                continue
            pattern = _compile(entry.pattern, entry.pattern_span, diags)
            if pattern is not None:
                queries.append(Query(stmt.target, pattern, values, entry.pattern_span))
    return queries, {target: dict(sorted(opts.items())) for target, opts in sorted(workflow.items())}


def _compile(pattern: str, span: n.Span, diags: Diagnostics) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error as exc:
        diags.error(span, f"invalid regex {shown(pattern)}: {exc.msg}",
                    f"at position {exc.pos}" if exc.pos is not None else "")
        return None


def _checked_items(target: str, items: tuple[n.OptionItem, ...], scope: str,
                   constant: Callable[[n.Expr], Any], diags: Diagnostics) -> dict[str, Any]:
    values: dict[str, Any] = {}
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            diags.error(item.key_span, f"option '{item.key}' is given twice in this entry",
                        "keep one; a later entry may override it")
        seen.add(item.key)
        raw = constant(item.value)
        if raw is INVALID:
            continue
        value, problem = check_option(target, item.key, raw, scope=scope)
        if problem is None:
            values[item.key] = value
        else:
            span = item.key_span if problem.startswith("unknown") else item.value.span
            message, _, hint = problem.partition("; ")  # the schema's hint goes after the caret
            diags.error(span, message, hint)
    return values


def shown(pattern: str) -> str:
    """A regex as the file spells it (a Python repr would double its backslashes)."""
    return '"' + pattern.replace('"', '\\"') + '"'


def resolve(node_names: list[str], queries: list[Query], diags: Diagnostics) -> dict[str, TargetOptions]:
    """node name -> target -> options, with a warning for a query that selects nothing.

    Nodes selected by the same queries share one (read-only) dict: a fan-out of
    100,000 nodes usually has a handful of distinct option sets."""
    selected_by: dict[str, list[int]] = {}
    for index, query in enumerate(queries):
        matched = [name for name in node_names if query.pattern.fullmatch(name)]
        if not matched:
            diags.warning(query.span, f"query {shown(query.pattern.pattern)} matches no node")
        for name in matched:
            selected_by.setdefault(name, []).append(index)
    merged: dict[tuple[int, ...], TargetOptions] = {}
    effective: dict[str, TargetOptions] = {}
    for name, indexes in selected_by.items():
        key = tuple(indexes)
        if key not in merged:
            merged[key] = _merge([queries[i] for i in key])
        effective[name] = merged[key]
    return effective


def _merge(queries: list[Query]) -> TargetOptions:
    """target -> options of the queries in order, later ones winning; keys sorted."""
    by_target: TargetOptions = {}
    for query in queries:
        by_target.setdefault(query.target, {}).update(query.options)
    return {target: dict(sorted(by_target[target].items())) for target in TARGETS if by_target.get(target)}
