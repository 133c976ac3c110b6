"""A node's Prefect task options, from its options by target ({"neutral": {...}, "prefect": {...}}).

    task_options({"neutral": {"retries": 2, "timeout": "10m"}, "prefect": {"tags": ["x"]}})
    # {"retries": 2, "tags": ["x"], "timeout_seconds": 600.0}

One mapping for the three places that need it: the generated flow file writes
these into each node's `.with_options(...)` (generate.py, as source), `fusec
run` builds the same task in memory (flow.py), and a run-time loop's nodes,
whose names exist only as the flow runs, get theirs when the loop expands
(backend.py). `as_objects` turns the checked values into what Prefect takes
(an imported callable, a cache policy, a timedelta), as the generated file
spells them.

Imports neither Prefect (but in `as_objects`) nor the compiler: the flow
file's runtime (backend.py) uses it.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from ...runtime.invoke import resolve_callable
from ...schemas import known_options, map_neutral

CACHE_POLICIES = {"default": "DEFAULT", "inputs": "INPUTS", "task_source": "TASK_SOURCE", "run_id": "RUN_ID",
                  "flow_parameters": "FLOW_PARAMETERS", "none": "NO_CACHE"}


class Unmappable(ValueError):
    """A neutral option Prefect cannot carry out as given (the message says which and why)."""


def task_options(options: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The Prefect task options of a node with these options, sorted: the neutral ones Prefect
    does (mapped), then `options prefect`, which wins. Unmappable for a neutral one it cannot map."""
    merged: dict[str, Any] = {}
    for key, value in sorted(options.get("neutral", {}).items()):
        target_key, mapped, message = map_neutral("prefect", key, value)
        if message is not None:
            raise Unmappable(message)
        if target_key is not None:
            merged[target_key] = mapped
    own = options.get("prefect", {})
    merged.update(own)
    if own.get("cache_policy", "none") != "none" and "persist_result" not in own:
        merged["persist_result"] = True  # Prefect's caching needs its results persisted, as @task's default does
    return dict(sorted(merged.items()))


def conversion(kind: str, key: str) -> str:
    """How an option's checked value becomes the argument Prefect takes: "callable" (the
    imported object), "callables" (a list of them), "cache_policy" (one of
    prefect.cache_policies), "seconds" (a timedelta) or "value" (as it is). The generated
    file writes it as source (generate.option_value), the runtime makes the object (as_object)."""
    if kind in ("callable", "callable_list"):
        return "callable" if kind == "callable" else "callables"
    return {"cache_policy": "cache_policy", "cache_expiration": "seconds"}.get(key, "value")


def as_objects(options: dict[str, Any], scope: str = "node") -> dict[str, Any]:
    """Checked task (or, `scope` "workflow", flow) options as the objects Prefect takes."""
    specs = known_options("prefect", scope)
    return {key: as_object(specs[key].kind, key, value) for key, value in options.items()}


def as_object(kind: str, key: str, value: Any) -> Any:
    """A checked option value as the object Prefect takes (`conversion` says which)."""
    how = conversion(kind, key)
    if how == "callable":
        return resolve_callable(str(value))
    if how == "callables":
        return [resolve_callable(str(item)) for item in value]
    if how == "cache_policy":
        from prefect import cache_policies  # an optional backend: generate.py imports this module without it

        return getattr(cache_policies, CACHE_POLICIES[value])
    if how == "seconds":
        return timedelta(seconds=value)
    return value
