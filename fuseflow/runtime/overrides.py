"""Run-time option overrides chosen by regex, like functionfuse's
`query(pattern).set_remote_args({...})`:

    wf.query(r"model\\..*").set(retries=3)          # Python
    python wf.py --set 'model\\..*:retries=3'        # command line

Overrides apply after the options compiled into the workflow, in the order
given; the regex full-matches node names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
        self._pattern = re.compile(pattern)

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


def parse_set(text: str) -> Override:
    """'REGEX:KEY=VALUE' -> Override; the value in .fuse/JSON spelling ('2', '"x"', '[1]')."""
    pattern, sep, assignment = text.rpartition(":")
    key, eq, value = assignment.partition("=")
    if not sep or not eq or not key:
        raise ParamError(f"--set expects REGEX:KEY=VALUE, got {text!r}")
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ParamError(f"--set {text!r}: invalid regex: {exc}") from None
    return Override(regex, {key.strip(): parse_text(value, None)})
