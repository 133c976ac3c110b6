"""The values a Prefect flow body passes its tasks, and what the tasks give back (backend.py).

    run.submit(split_task.with_options(task_run_name="parts"), rt.at(data, 0))   # data[0], in the task

Futures in a task's arguments travel inside At markers, so the task resolves
exactly what the flow built and never walks into a user's own values; a method
call's result carries its object (MethodResult); a node the flow run holds
until its plan can tell whether it runs is a Held in place of its future.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prefect.futures import PrefectFuture


@dataclass(frozen=True)
class At:
    """A node result or param value, indexed in the task: `rt.at(data, 0)` is `data[0]`.

    A dataclass, so Prefect finds the future inside (dependency, concurrency)
    and hands the task the resolved value."""

    value: Any
    path: tuple = ()

    def get(self) -> Any:
        found = self.value
        if type(found) is MethodResult:
            found = found.value
        for depth, key in enumerate(self.path):
            try:
                found = found[key]
            except (LookupError, TypeError) as exc:
                where = "".join(f"[{k!r}]" for k in self.path[:depth])
                raise IndexError(f"cannot take [{key!r}] of the value{where} ({type(found).__name__}): "
                                 f"{type(exc).__name__}: {exc}") from None
        return found


def at(value: Any, *path: Any) -> At:
    return At(value, path)


class MethodResult:
    """What a method node's task returns: the value and the object it ran on.

    The next method call on the object takes the object from it, so the
    object's state travels with the calls under any task runner, processes
    and Ray included; every other reader gets the value."""

    __slots__ = ("object", "value")

    def __init__(self, object_: Any, value: Any):
        self.object = object_
        self.value = value

    def __repr__(self) -> str:
        return f"MethodResult({self.value!r})"


class Held:
    """A node submitted before the plan could tell whether it runs (FlowRun.submit): what the
    body keeps in place of its future, and passes on; once the plan tells, its future (None
    when no output needs it), which whatever reads it gets."""

    __slots__ = ("name", "submission", "future", "decided")

    def __init__(self, name: str, submission: tuple[Any, Sequence[Any], dict[str, Any], Sequence[Any]]):
        self.name = name
        self.submission = submission  # (task, args, kwargs, wait_for), as the body submitted it
        self.future: PrefectFuture | None = None
        self.decided = False

    def __repr__(self) -> str:
        return f"Held({self.name!r})"

    def resolved(self) -> PrefectFuture | None:
        if not self.decided:
            raise RuntimeError(f"node {self.name!r} is read before the run could tell whether it runs")
        return self.future


def wrapped(value: Any) -> Any:
    """Futures in an argument become At markers, so the task resolves exactly
    what the flow built and never walks into a user's own values."""
    if isinstance(value, PrefectFuture):
        return At(value)
    kind = type(value)
    if kind is Held:
        return wrapped(value.resolved())
    if kind is At and type(value.value) is Held:
        return At(value.value.resolved(), value.path)
    if kind is list:
        return [wrapped(v) for v in value]
    if kind is dict:
        return {k: wrapped(v) for k, v in value.items()}
    return value


def futures_in(values: Any) -> list[PrefectFuture]:
    """The futures in `wait_for`: a family's dict (nested for nested loops) stands for its
    members; a node not submitted (loaded nodes are, skipped ones are None) is not waited for."""
    found: list[PrefectFuture] = []
    for value in values.values() if type(values) is dict else values:
        if type(value) is Held:
            value = value.resolved()
        if isinstance(value, PrefectFuture):
            found.append(value)
        elif type(value) in (dict, list, tuple):
            found.extend(futures_in(value))
    return found


def resolved(value: Any) -> Any:
    kind = type(value)
    if kind is At:
        return value.get()
    if kind is MethodResult:
        return value.value
    if kind is list:
        return [resolved(v) for v in value]
    if kind is dict:
        return {k: resolved(v) for k, v in value.items()}
    return value


def output_value(value: Any) -> Any:
    if type(value) is Held:
        value = value.resolved()
    elif type(value) is At and type(value.value) is Held:
        value = At(value.value.resolved(), value.path)
    if isinstance(value, PrefectFuture):
        value = At(value.result())
    elif type(value) is At and isinstance(value.value, PrefectFuture):
        value = At(value.value.result(), value.path)
    elif type(value) is list:
        return [output_value(v) for v in value]
    elif type(value) is dict:
        return {k: output_value(v) for k, v in value.items()}
    return resolved(value)
