"""The typed option schema of every target, and the checks built on it.

``options`` blocks in a ``.fuse`` file set per-node options (entries keyed by a
regex) and workflow options (the ``workflow:`` entry); this package says which
keys each target accepts and what their values look like::

    >>> check_option("ray", "num_cpus", 2)
    (2, None)
    >>> check_option("ray", "num_cpuz", 2)
    (None, "unknown ray option 'num_cpuz'; did you mean 'num_cpus'?")
    >>> check_option("neutral", "memory", "2Gi")
    (2147483648, None)

Messages are one line: a headline, then optionally "; " and a hint. Static
data only: nothing here imports Ray, Prefect or KFP, nor the compiler. The
compiler checks a file's `options` blocks with it and the runtime checks
`--set` and `query(...).set(...)` with it (fuseflow.runtime.overrides), so an
option means the same wherever it is given; a generated module imports it
without lark, Jinja2 or fuseflow.compiler.
"""

from __future__ import annotations

import difflib
from typing import Any

from .kinds import KINDS, Reject, expects
from .mapping import MAPPING_NOTES, NEUTRAL_IGNORED, NEUTRAL_MAPPING, NEUTRAL_RUNTIME
from .markdown import render_markdown
from .spec import SCOPES, CallableRef, OptionSpec
from .tables import EXCLUDED, KFP_UNEXPOSED, PREFECT_TASK_RUNNERS, TABLES, TARGETS
from .units import format_size_k8s, parse_cpu, parse_duration, parse_size

__all__ = [
    "TARGETS", "SCOPES", "KINDS", "CallableRef", "OptionSpec", "known_options", "check_option",
    "map_neutral", "parse_duration", "parse_size", "parse_cpu", "format_size_k8s", "render_markdown",
    "NEUTRAL_MAPPING", "NEUTRAL_RUNTIME", "NEUTRAL_IGNORED", "MAPPING_NOTES", "EXCLUDED",
    "KFP_UNEXPOSED", "PREFECT_TASK_RUNNERS",
]


def known_options(target: str, scope: str = "node") -> dict[str, OptionSpec]:
    """The options a target's block accepts in a scope, by name (a fresh dict)."""
    if target not in TABLES:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected 'node' or 'workflow'")
    return dict(TABLES[target][scope])


def check_option(target: str, key: str, value: Any, scope: str = "node") -> tuple[Any, str | None]:
    """Check one ``key: value`` of an options entry.

    Returns ``(normalized, None)`` when fine, ``(None, message)`` when not.
    ``none`` is refused like any other value of the wrong kind (only ``any``
    takes it), so a ``None`` without a message never means "unset".
    """
    spec = known_options(target, scope).get(key)
    if spec is None:
        return None, _unknown(target, key, scope)
    try:
        return KINDS[spec.kind].check(value, spec), None
    except Reject as bad:
        message = f"{_title(target, scope)} '{key}' expects {bad.expects or expects(spec.kind, spec)}, got {bad.got}"
        return None, message + (f"; {bad.hint}" if bad.hint else "")


def map_neutral(target: str, key: str, value: Any) -> tuple[str | None, Any, str | None]:
    """Carry a checked neutral option to a target: ``(target_key, value, message)``.

    ``target_key`` is None when the target has no option for it (the runtime
    does it, or it is ignored: see NEUTRAL_RUNTIME and NEUTRAL_IGNORED). The
    value is checked again with the target's kind, e.g. ``gpus: 0.5`` cannot
    become KFP's integer ``accelerator_limit``.
    """
    target_key = NEUTRAL_MAPPING[target].get(key)
    if target_key is None:
        return None, value, None
    mapped, message = check_option(target, target_key, value)
    if message is not None:
        return target_key, None, f"option '{key}' cannot be used on {target} as given: {message}"
    return target_key, mapped, None


def _title(target: str, scope: str) -> str:
    words = ([target] if target != "neutral" else []) + (["workflow"] if scope == "workflow" else []) + ["option"]
    return " ".join(words)


def _unknown(target: str, key: str, scope: str) -> str:
    headline = f"unknown {_title(target, scope)} '{key}'"
    excluded = EXCLUDED[target][scope].get(key)
    if excluded:
        return f"{headline}; fuseflow does not expose it: {excluded}"
    hint = _elsewhere(target, key, scope) or _suggest(target, key, scope)
    return f"{headline}; {hint}"


def _elsewhere(target: str, key: str, scope: str) -> str | None:
    """A hint when the key belongs to another scope or another block."""
    other = "workflow" if scope == "node" else "node"
    if key in TABLES[target][other]:
        where = "the `workflow: { ... }` entry" if other == "workflow" else 'a `"regex": { ... }` entry'
        return f"'{key}' is a {other} option: put it in {where}"
    if target != "neutral" and scope == "node" and key in TABLES["neutral"]["node"]:
        own = NEUTRAL_MAPPING[target].get(key)
        if own and own != key:
            return f"{target} calls it '{own}' (or put '{key}' in the neutral `options {{ ... }}` block)"
        return f"'{key}' is a neutral option: put it in the neutral `options {{ ... }}` block"
    if target == "neutral" and scope == "node":
        return _neutral_hint(key)
    owners = [t for t in TARGETS[1:] if t != target and key in TABLES[t][scope]]
    if owners and scope == "workflow":
        return f"'{key}' is a {owners[0]} workflow option: put it in `options {owners[0]} {{ workflow: {{ ... }} }}`"
    return None


def _neutral_hint(key: str) -> str | None:
    owners = [t for t in TARGETS[1:] if key in TABLES[t]["node"]]
    if not owners:
        return None
    neutral = [n for n, own in NEUTRAL_MAPPING[owners[0]].items() if own == key]
    hint = f"did you mean '{neutral[0]}'? " if neutral and neutral[0] != key else ""
    blocks = " or ".join(f"`options {t} {{ ... }}`" for t in owners)
    return hint + f"'{key}' is a {' and '.join(owners)} option: put it in {blocks}"


def _closest(key: str, names: list[str]) -> list[str]:
    """The close matches that are as close as the best one (ties only)."""
    close = difflib.get_close_matches(key, names, n=3)
    ratio = {name: difflib.SequenceMatcher(None, key, name).ratio() for name in close}
    return [name for name in close if ratio[name] == ratio[close[0]]]


def _suggest(target: str, key: str, scope: str) -> str:
    names = sorted(TABLES[target][scope])
    if not names:
        if target != "neutral":
            return f"{target} has no {scope} options"
        return (
            "the neutral block has no workflow options; put them in a target block,"
            " e.g. `options ray { workflow: { ... } }`"
        )
    close = _closest(key, names)
    if close:
        quoted = [f"'{name}'" for name in close]
        choices = " or ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]
        return f"did you mean {choices}?"
    shown = ", ".join(f"'{name}'" for name in names[:6])
    return f"valid ones are {shown}" + (f" and {len(names) - 6} more (see docs/options.md)" if len(names) > 6 else "")
