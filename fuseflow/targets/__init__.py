"""The targets, registered by name: `get("ray")`, `names()`.

A target is a class (fuseflow.targets.base.Target) in a package of its own
holding its generator (IR -> text), its runtime adapter (what generated code
and workers import), its option mapping, how it runs and its CLI flags. Every
target is found through the entry-point group `fuseflow.targets`
(pyproject.toml lists fuseflow's own: `local = "fuseflow.targets.local.target:LocalTarget"`),
so a package installed beside fuseflow adds one with no change here:

    [project.entry-points."fuseflow.targets"]
    mytarget = "mypackage.target:MyTarget"

Reading entry points costs some 25 ms (every installed distribution's
metadata), so a name is first looked up where fuseflow keeps its own
targets (fuseflow.targets.NAME.target), and the group is read only for
a name that is not there, or to list every target.
"""
from __future__ import annotations

import functools
import importlib
from pathlib import Path

from .base import Applied, Target

GROUP = "fuseflow.targets"
_HERE = Path(__file__).resolve().parent


class UnknownTarget(LookupError):
    """No target has this name; the message lists those that do."""


@functools.cache
def get(name: str) -> Target:
    """The target called `name`; UnknownTarget when none is."""
    if not name.isidentifier():
        raise UnknownTarget(f"unknown target {name!r}; known targets: {', '.join(names())}")
    if (_HERE / name / "target.py").is_file():  # one of fuseflow's own: no metadata scan
        return _instance(importlib.import_module(f"{__name__}.{name}.target").TARGET)
    entry = _plugins().get(name)
    if entry is None:
        raise UnknownTarget(f"unknown target {name!r}; known targets: {', '.join(names())}")
    return _instance(entry.load())


def names() -> list[str]:
    """Every target's name, sorted: fuseflow's own and those of installed packages."""
    return sorted({*own_names(), *_plugins()})


def own_names() -> list[str]:
    """The names of fuseflow's own targets, sorted (no metadata scan)."""
    return sorted(p.parent.name for p in _HERE.glob("*/target.py"))


def _plugins() -> dict:
    from importlib.metadata import entry_points  # deferred: slow to import; fuseflow's own targets need no scan

    return {entry.name: entry for entry in entry_points(group=GROUP)}


def _instance(found) -> Target:
    """A registered object: a Target subclass (instantiated) or an instance."""
    target = found() if isinstance(found, type) else found
    if not isinstance(target, Target):
        raise TypeError(f"{found!r}, registered as a fuseflow target, is not a fuseflow.targets.base.Target")
    return target


def generator(name: str):
    """The target's generate function (IR -> text)."""
    return get(name).generate


def known_targets() -> list[str]:
    return names()


__all__ = ["Applied", "GROUP", "Target", "UnknownTarget", "generator", "get", "known_targets", "names", "own_names"]
