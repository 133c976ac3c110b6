"""Which of a node's options Ray's `.options(...)` takes and which the runtime applies on the worker.

Pure data, no `import ray`: `fusec compile --target ray` writes each node's
split into the generated module, and the Ray runtime splits `--set` and
`query(...).set(...)` overrides the same way at run time.

    >>> split("call", {"retries": 2, "cpus": 1, "seed": 7}, {"resources": {"_model": 1}})
    ({'seed': 7}, {'max_retries': 2, 'num_cpus': 1, 'resources': {'_model': 1}, 'retry_exceptions': True})

A plain call is a Ray task: Ray reserves its resources and retries it
(`retries` -> `max_retries` with `retry_exceptions: true`, since `max_retries`
alone retries only crashed workers), and `env` becomes its `runtime_env`
variables, set before the worker imports anything. An object node is a Ray
actor: the actor reserves the resources; `retries` re-runs the constructor
on the worker, since a restarted actor would lose its state. A method call
runs inside its object's actor, so it reserves nothing of its own and keeps
only what the runtime does around the call. `retry_delay` has no Ray
counterpart (Ray retries at once) and is dropped for tasks.
"""
from __future__ import annotations

from typing import Any

# neutral key -> Ray's own, for tasks and actors alike
RESOURCES = {"cpus": "num_cpus", "gpus": "num_gpus", "memory": "memory"}
# Ray option keys that only one kind of Ray call takes (docs/options.md, "for")
TASK_ONLY = frozenset({"max_retries", "retry_exceptions"})
ACTOR_ONLY = frozenset({"max_restarts", "max_task_retries"})
# neutral keys the runtime applies on the worker, per node kind
WORKER = {
    "call": frozenset({"timeout", "cache", "seed", "setup", "always_read"}),
    "object": frozenset({"retries", "retry_delay", "timeout", "cache", "seed", "setup", "always_read"}),
    "method": frozenset({"retries", "retry_delay", "timeout", "cache", "seed", "setup", "env", "always_read"}),
}
NEUTRAL_KEYS = frozenset(RESOURCES) | {"retries", "retry_delay", "timeout", "cache", "seed", "setup", "env",
                                       "always_read"}


def split(kind: str, neutral: dict[str, Any], own: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(worker options, Ray `.options()` keywords) of a node of `kind` ("call", "object", "method").

    `neutral` is the node's neutral options, `own` its `options ray` entry;
    Ray's own keys win over mapped neutral ones (in `runtime_env`, variable by
    variable). Both results are sorted by key.
    """
    worker = {k: v for k, v in neutral.items() if k in WORKER[kind]}
    ray: dict[str, Any] = {}
    if kind != "method":
        for key, value in neutral.items():
            _map_neutral(kind, key, value, ray)
        for key, value in own.items():
            if key == "runtime_env":
                value = with_env(value, ray.get("runtime_env", {}).get("env_vars", {}), wins=False)
            if applies(kind, key):
                ray[key] = value
    return dict(sorted(worker.items())), dict(sorted(ray.items()))


def applies(kind: str, key: str) -> bool:
    """Whether a Ray option key means anything for a node of this kind."""
    if kind == "method":
        return False
    return key not in (ACTOR_ONLY if kind == "call" else TASK_ONLY)


def override(kind: str, worker: dict[str, Any], ray: dict[str, Any], options: dict[str, Any]) -> None:
    """Apply one override's options (neutral or Ray keys, values replaced whole) in place."""
    for key, value in options.items():
        if key in WORKER[kind]:
            worker[key] = value
        elif key in NEUTRAL_KEYS:
            if kind != "method":
                _map_neutral(kind, key, value, ray)
        elif applies(kind, key):
            ray[key] = value


def _map_neutral(kind: str, key: str, value: Any, ray: dict[str, Any]) -> None:
    if key in RESOURCES:
        ray[RESOURCES[key]] = value
    elif key == "env":
        ray["runtime_env"] = with_env(ray.get("runtime_env"), value, wins=True)
    elif key == "retries" and kind == "call":
        ray["max_retries"] = value
        ray.setdefault("retry_exceptions", True)


def with_env(runtime_env: dict[str, Any] | None, env_vars: dict[str, str], wins: bool) -> dict[str, Any]:
    """`runtime_env` with `env_vars` added; on a clash the given variables win when `wins`."""
    merged = dict(runtime_env or {})
    current = merged.get("env_vars", {})
    variables = {**current, **env_vars} if wins else {**env_vars, **current}
    if variables:
        merged["env_vars"] = dict(sorted(variables.items()))
    return dict(sorted(merged.items()))
