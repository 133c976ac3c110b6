"""The split of a node's options between Ray's `.options(...)` and the worker
(fuseflow.targets.ray.options) agrees with the option schema (docs/options.md)."""
from __future__ import annotations

import pytest

from fuseflow import schemas
from fuseflow.runtime.params import ParamError
from fuseflow.targets.ray import options as R


def test_resource_keys_map_as_the_schema_says():
    for neutral, own in R.RESOURCES.items():
        assert schemas.NEUTRAL_MAPPING["ray"][neutral] == own
    assert schemas.NEUTRAL_MAPPING["ray"]["retries"] == "max_retries"


def test_task_and_actor_only_keys_are_the_schemas():
    specs = schemas.known_options("ray")
    assert R.TASK_ONLY == {name for name, spec in specs.items() if spec.applies_to == "task"}
    assert R.ACTOR_ONLY == {name for name, spec in specs.items() if spec.applies_to == "actor"}


def test_every_neutral_key_has_a_home_for_every_kind():
    assert R.NEUTRAL_KEYS == set(schemas.known_options("neutral"))
    ignored = set(schemas.NEUTRAL_IGNORED["ray"])  # retry_delay
    for kind in ("call", "object", "method"):
        for key in R.NEUTRAL_KEYS - ignored:
            worker, ray = R.split(kind, {key: _example(key)}, {})
            handled = worker or ray or kind == "method" and key in R.RESOURCES
            assert handled, (kind, key)


def _example(key):
    return {"env": {"A": "1"}, "setup": "m:f", "cache": False, "always_read": True}.get(key, 2)


def test_a_call_is_retried_by_ray_on_exceptions_too():
    assert R.split("call", {"retries": 2, "retry_delay": 5}, {}) == ({}, {"max_retries": 2, "retry_exceptions": True})
    assert R.split("call", {"retries": 2}, {"retry_exceptions": ["builtins:ValueError"], "max_retries": 4}) == (
        {}, {"max_retries": 4, "retry_exceptions": ["builtins:ValueError"]})


def test_an_object_is_retried_by_the_runtime_and_a_method_reserves_nothing():
    assert R.split("object", {"retries": 1, "cpus": 2}, {"max_retries": 3, "max_restarts": 1}) == (
        {"retries": 1}, {"max_restarts": 1, "num_cpus": 2})
    assert R.split("method", {"retries": 1, "cpus": 2, "seed": 3}, {"num_cpus": 4}) == ({"retries": 1, "seed": 3}, {})


def test_env_joins_the_runtime_env_whose_own_variables_win():
    worker, ray = R.split("call", {"env": {"A": "1", "B": "2"}},
                          {"runtime_env": {"env_vars": {"A": "x"}, "pip": ["q"]}})
    assert worker == {}
    assert ray == {"runtime_env": {"env_vars": {"A": "x", "B": "2"}, "pip": ["q"]}}


def test_overrides_route_neutral_and_ray_keys():
    worker, ray = R.split("call", {"seed": 1}, {"num_cpus": 1})
    R.override("call", worker, ray, {"seed": 2, "cpus": 0.5, "resources": {"_m": 1}, "env": {"B": "2"}, "retries": 1})
    assert worker == {"seed": 2}
    assert ray == {"num_cpus": 0.5, "resources": {"_m": 1}, "runtime_env": {"env_vars": {"B": "2"}},
                   "max_retries": 1, "retry_exceptions": True}
    worker, ray = {}, {}
    R.override("method", worker, ray, {"num_cpus": 2, "retries": 1})
    assert (worker, ray) == ({"retries": 1}, {})


def test_sizes():
    """A `memory` override is read by the checker of a file's options (as `options ray` reads it)."""
    from fuseflow.runtime.overrides import normalize

    size = lambda value: normalize("memory", value, own="ray")  # noqa: E731
    assert size("2Gi") == 2 * 2**30 and size("1G") == 10**9 and size(512) == 512
    with pytest.raises(ParamError):
        size("lots")
