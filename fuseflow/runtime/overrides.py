"""Run-time option overrides chosen by regex, like functionfuse's
`query(pattern).set_remote_args({...})`:

    wf.query(r"model\\..*").set(retries=3)          # Python
    python wf.py --set 'model\\..*:retries=3'        # command line

Overrides apply after the options compiled into the workflow, in the order
given; the regex full-matches node names. The local executor checks them
before anything runs (`check`): a regex that selects no node, an unknown
option or a value of the wrong kind is an error, as it is in a .fuse file.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .params import ParamError, parse_text


@dataclass(frozen=True)
class Override:
    pattern: re.Pattern
    options: dict[str, Any]

    def applies_to(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None


class Query:
    """The nodes a regex selects, for setting their options before a run."""

    def __init__(self, overrides: list[Override], pattern: str):
        self._overrides = overrides
        self._pattern = compile_regex(pattern, "query")

    def set(self, options: dict[str, Any] | None = None, **more: Any) -> "Query":
        self._overrides.append(Override(self._pattern, {**(options or {}), **more}))
        return self


def effective_options(name: str, compiled: dict[str, Any], overrides: list[Override]) -> dict[str, Any]:
    if not overrides:
        return compiled
    merged = dict(compiled)
    for override in overrides:
        if override.applies_to(name):
            merged.update(override.options)
    return merged


_SET = re.compile(r"(?P<regex>.*?):(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<value>.*)", re.DOTALL)


def parse_set(text: str) -> Override:
    """'REGEX:KEY=VALUE' -> Override; the value in .fuse/JSON spelling ('2', '"x"', '[1]').

    The first ':KEY=' ends the regex, so a value may itself hold colons
    (`--set '.*:setup=pkg.init:init_worker'`)."""
    match = _SET.fullmatch(text)
    if match is None:
        raise ParamError(f"--set expects REGEX:KEY=VALUE, got {text!r}")
    regex = compile_regex(match["regex"], "--set")
    return Override(regex, {match["key"]: parse_text(match["value"].strip(), None)})


def compile_regex(pattern: str, where: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ParamError(f"{where} {pattern!r} is not a valid regex: {exc}") from None


# --- checking overrides against a workflow (the local executor's options) ---------


def check(overrides: Iterable[Override], names: list[str], where: str = "--set") -> list[Override]:
    """The overrides with their values normalized (durations in seconds, ...);
    ParamError when a regex selects no node or an option is unknown or ill-typed."""
    checked = []
    for override in overrides:
        require_match(override.pattern, names, where)
        checked.append(Override(override.pattern, {k: normalize(k, v) for k, v in override.options.items()}))
    return checked


def require_match(pattern: re.Pattern, names: list[str], where: str) -> None:
    if any(pattern.fullmatch(name) for name in names):
        return
    close = difflib.get_close_matches(pattern.pattern, names, n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ParamError(f"{where} {pattern.pattern!r} matches no node (the regex must match a whole name){hint}")


def normalize(key: str, value: Any) -> Any:
    """A neutral option's value as the runtime uses it; ParamError naming the option."""
    check_value = _NEUTRAL.get(key)
    if check_value is None:
        close = difflib.get_close_matches(key, sorted(_NEUTRAL), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ParamError(f"unknown option {key!r}; {hint}options: {', '.join(sorted(_NEUTRAL))}")
    try:
        return check_value(value)
    except (TypeError, ValueError) as exc:
        raise ParamError(f"option {key!r}: {exc}") from None


def _nonneg_int(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"expected an integer >= 0, got {value!r}")
    return value


def _number(value: Any) -> float:
    if type(value) not in (int, float) or value < 0:
        raise ValueError(f"expected a number >= 0, got {value!r}")
    return value


_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?"
                       r"(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?")


def duration(value: Any) -> float:
    """Seconds: 30, 2.5, "500ms", "90s", "10m", "1h30m" (as in a .fuse file)."""
    if type(value) in (int, float):
        return float(_number(value))
    if isinstance(value, str):
        if re.fullmatch(r"\d+(?:\.\d+)?", value):
            return float(value)
        match = _DURATION.fullmatch(value)
        if match and value:
            return sum(float(part) * unit for part, unit in zip(match.groups(), _UNITS.values()) if part)
    raise ValueError(f'expected a duration such as 30, "90s", "10m" or "1h30m", got {value!r}')


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _setup(value: Any) -> Any:
    if callable(value) or (isinstance(value, str) and re.fullmatch(r"[\w.]+:[\w.]+", value)):
        return value
    raise ValueError(f'expected a callable or "module:qualname", got {value!r}')


def _env(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"expected a dict of environment variables, got {value!r}")
    return {k: str(v) for k, v in value.items()}


def _anything(value: Any) -> Any:
    return value


# The neutral options (docs/options.md); cpus, gpus and memory mean nothing on one machine.
_NEUTRAL: dict[str, Callable[[Any], Any]] = {
    "retries": _nonneg_int, "retry_delay": duration, "timeout": duration, "seed": _nonneg_int,
    "setup": _setup, "env": _env, "cache": _bool, "always_read": _bool,
    "cpus": _number, "gpus": _number, "memory": _anything,
}
