"""How each target carries out the neutral options.

Every neutral key, for every target (``local`` included), is in at least one
of: ``NEUTRAL_MAPPING`` (becomes that target's own option), ``NEUTRAL_RUNTIME``
(``fuseflow.runtime`` does it on the worker) or ``NEUTRAL_IGNORED`` (has no
effect there; the checker may warn). A key may be both mapped and done by the
runtime (kfp ``cache``); it is never both done and ignored. A test holds this.
"""

from __future__ import annotations

NEUTRAL_MAPPING: dict[str, dict[str, str]] = {
    "local": {},
    "ray": {"retries": "max_retries", "cpus": "num_cpus", "gpus": "num_gpus", "memory": "memory"},
    "prefect": {"retries": "retries", "retry_delay": "retry_delay_seconds", "timeout": "timeout_seconds"},
    "kfp": {
        "retries": "retries",
        "retry_delay": "retry_backoff_duration",
        "timeout": "timeout",
        "cpus": "cpu_request",
        "gpus": "accelerator_limit",
        "memory": "memory_request",
        "env": "env",
        "cache": "caching",
    },
}

_CACHE = "fuseflow's storage neither loads nor saves the node's result"
_SEED = "the runtime seeds random and numpy.random on the worker before the call"
_SETUP = "the runtime calls it on the worker before the node"
_ENV = "the runtime sets the variables on the worker for the duration of the call"
_ALWAYS_READ = "the runtime reads the saved result back and returns that"

NEUTRAL_RUNTIME: dict[str, dict[str, str]] = {
    "local": {
        "retries": "the runtime runs the node again",
        "retry_delay": "the runtime waits between attempts",
        "timeout": "the runtime fails an attempt that runs longer",
        "cache": _CACHE, "seed": _SEED, "setup": _SETUP, "env": _ENV, "always_read": _ALWAYS_READ,
    },
    "ray": {
        "timeout": "the runtime fails an attempt that runs longer, on the worker",
        "cache": _CACHE, "seed": _SEED, "setup": _SETUP, "env": _ENV, "always_read": _ALWAYS_READ,
    },
    "prefect": {"cache": _CACHE, "seed": _SEED, "setup": _SETUP, "env": _ENV, "always_read": _ALWAYS_READ},
    "kfp": {"cache": _CACHE, "seed": _SEED, "setup": _SETUP, "always_read": _ALWAYS_READ,
            "timeout": "the step fails an attempt that runs longer, as the other targets do (the pod's deadline "
                       "alone would kill the pod, and kfp.local does not enforce it)"},
}

_NO_RESOURCES = "reserves no CPUs, GPUs or memory per node"

NEUTRAL_IGNORED: dict[str, dict[str, str]] = {
    "local": {k: "a local run " + _NO_RESOURCES for k in ("cpus", "gpus", "memory")},
    "ray": {"retry_delay": "Ray retries a failed task at once; it has no retry delay"},
    "prefect": {k: "a Prefect task " + _NO_RESOURCES for k in ("cpus", "gpus", "memory")},
    "kfp": {},
}

MAPPING_NOTES: tuple[str, ...] = (
    "ray: `retries` becomes `max_retries` on plain calls only, with `retry_exceptions: true`"
    " unless `options ray` sets it: Ray's `max_retries` alone retries only crashed workers,"
    " not exceptions. An object node (an actor) is not retried, since a restarted actor would"
    " lose its state; `max_restarts` and `max_task_retries` in `options ray` opt in.",
    "kfp: `gpus` becomes `accelerator_limit`, which must be a whole number; KFP applies it only"
    " together with an `accelerator_type`.",
    "kfp: `retry_delay` becomes `retry_backoff_duration`, which KFP multiplies by"
    " `retry_backoff_factor` (default 2) after each retry; durations must be whole seconds.",
    "kfp: `cache: false` also turns KFP's own caching off for the step.",
)
