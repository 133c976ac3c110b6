"""The option schema: kinds, messages, units, docs, and the tables held against
the installed Ray, Prefect and KFP (each part skips when its library is missing)."""

from __future__ import annotations

import builtins
import datetime
import importlib
import inspect
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from fuseflow import schemas as S
from fuseflow.schemas import (
    CallableRef,
    OptionSpec,
    check_option,
    format_size_k8s,
    known_options,
    map_neutral,
    parse_duration,
    parse_size,
)
from fuseflow.schemas.kinds import KINDS, Reject
from fuseflow.schemas.markdown import KIND_RESULTS

ROOT = Path(__file__).resolve().parents[2]
HOOK = CallableRef("builtins:print")

# A valid value for every option of every table (a test checks the coverage).
# The library tests below hand the normalized values to the real APIs.
SAMPLES: dict[tuple[str, str], dict[str, object]] = {
    ("neutral", "node"): {
        "retries": 2, "retry_delay": "30s", "timeout": "10m", "cpus": 1, "gpus": 1, "memory": "2Gi",
        "cache": False, "seed": 7, "setup": CallableRef("examples.ops:add"), "env": {"OMP_NUM_THREADS": "1"},
        "always_read": True,
    },
    ("ray", "node"): {
        "num_cpus": 0.5, "num_gpus": 1, "memory": "1Gi", "resources": {"_model": 1}, "accelerator_type": "A100",
        "runtime_env": {"env_vars": {"A": "1"}}, "scheduling_strategy": "SPREAD", "label_selector": {"zone": "a"},
        "fallback_strategy": [{"label_selector": {"zone": "b"}}], "enable_task_events": False, "max_retries": -1,
        "retry_exceptions": ["ValueError", "json.JSONDecodeError"], "max_restarts": 2, "max_task_retries": -1,
    },
    ("ray", "workflow"): {"max_pending": 100, "init": {"num_cpus": 2}, "address": "auto"},
    ("prefect", "node"): {
        "tags": ["ml"], "description": "trains", "version": "1.0", "retries": 2, "retry_delay_seconds": [1, 2.5],
        "retry_jitter_factor": 0.5, "retry_condition_fn": HOOK, "timeout_seconds": 60, "log_prints": True,
        "persist_result": False, "cache_policy": "inputs", "cache_expiration": "1h", "refresh_cache": True,
        "cache_result_in_memory": False, "on_completion": HOOK, "on_failure": [HOOK], "on_running": [HOOK],
    },
    ("prefect", "workflow"): {
        "task_runner": "threads", "max_workers": 4, "log_prints": True, "flow_run_name": "run-{x}",
        "description": "d", "version": "v1", "retries": 1, "retry_delay_seconds": 5, "timeout_seconds": 3600,
        "validate_parameters": False, "persist_result": False, "cache_result_in_memory": False,
        "on_completion": [HOOK], "on_failure": [HOOK], "on_cancellation": [HOOK], "on_crashed": [HOOK],
        "on_running": [HOOK],
    },
    ("kfp", "node"): {
        "image": "python:3.11-slim", "packages": ["numpy"], "pip_index_urls": ["https://pypi.org/simple"],
        "runtime_package": "fuseflow==0.1.0", "embed_modules": ["examples.ops"], "display_name": "Train",
        "caching": False, "retries": 3, "retry_backoff_duration": "90s", "retry_backoff_factor": 1.5,
        "retry_backoff_max_duration": "1h", "cpu_request": 0.5, "cpu_limit": "2", "memory_request": "1.5Gi",
        "memory_limit": "2G", "accelerator_type": "nvidia.com/gpu", "accelerator_limit": 1, "env": {"A": "1"},
        "timeout": "10m", "secret_env": {"db": {"PASSWORD": "password"}}, "secret_volumes": {"tls": "/etc/tls"},
        "config_map_env": {"cfg": {"MODE": "mode"}}, "config_map_volumes": {"cfg": "/etc/cfg"},
        "pvc_mounts": {"data": "/data"}, "node_selector": {"pool": "gpu"},
        "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "image_pull_secrets": ["regcred"], "image_pull_policy": "IfNotPresent", "pod_labels": {"team": "ml"},
        "pod_annotations": {"owner": "me"},
    },
    ("kfp", "workflow"): {
        "image": "python:3.11-slim", "packages": ["numpy"], "pip_index_urls": ["https://pypi.org/simple"],
        "runtime_package": "fuseflow==0.1.0", "embed_modules": ["examples.ops"], "description": "a pipeline",
        "display_name": "Models", "pipeline_root": "s3://bucket/root",
    },
}


def normalized(target: str, scope: str) -> dict[str, object]:
    out = {}
    for key, value in SAMPLES[(target, scope)].items():
        out[key], problem = check_option(target, key, value, scope)
        assert problem is None, problem
    return out


def resolve(ref: CallableRef) -> object:
    return getattr(importlib.import_module(ref.module), ref.qualname)


# --- the tables themselves -------------------------------------------------------------


def all_specs() -> list[tuple[str, OptionSpec]]:
    return [(t, s) for t in S.TARGETS for scope in S.SCOPES for s in known_options(t, scope).values()]


def test_targets_and_scopes():
    assert S.TARGETS == ("neutral", "ray", "prefect", "kfp")
    assert set(known_options("neutral")) == {
        "retries", "retry_delay", "timeout", "cpus", "gpus", "memory", "cache", "seed", "setup", "env", "always_read",
    }
    assert known_options("neutral", "workflow") == {}
    with pytest.raises(ValueError, match="unknown target 'local'"):
        known_options("local")
    with pytest.raises(ValueError, match="unknown scope"):
        known_options("ray", "task")


def test_every_option_has_a_sample():
    for target in S.TARGETS:
        for scope in S.SCOPES:
            assert set(SAMPLES.get((target, scope), {})) == set(known_options(target, scope)), (target, scope)


@pytest.mark.parametrize("target,spec", all_specs(), ids=lambda x: getattr(x, "name", x))
def test_spec_is_well_formed(target, spec):
    assert spec.kind in KINDS
    assert spec.doc and "\n" not in spec.doc and len(spec.doc) < 120
    assert spec.name.isidentifier()
    assert spec.applies_to == "both" or target == "ray"
    assert known_options(target, spec.scope)[spec.name] is spec


def test_option_spec_rejects_bad_fields():
    with pytest.raises(ValueError):
        OptionSpec("x", "str", "doc", scope="task")
    with pytest.raises(ValueError):
        OptionSpec("x", "str", "doc", applies_to="method")
    with pytest.raises(ValueError):
        OptionSpec("x", "choice", "doc")


def test_every_kind_is_documented():
    assert set(KIND_RESULTS) == set(KINDS)


def test_known_options_returns_a_copy():
    known_options("ray").clear()
    assert "num_cpus" in known_options("ray")


# --- kinds: accept and normalize -------------------------------------------------------

ACCEPTED = [
    ("neutral", "seed", 0, 0),
    ("neutral", "retries", 0, 0),
    ("ray", "max_retries", -1, -1),
    ("neutral", "cpus", 0.25, 0.25),
    ("neutral", "cpus", 2, 2),
    ("neutral", "cache", False, False),
    ("kfp", "image", "python:3.11", "python:3.11"),
    ("ray", "scheduling_strategy", "DEFAULT", "DEFAULT"),
    ("prefect", "cache_policy", "none", "none"),
    ("neutral", "timeout", "1h30m", 5400.0),
    ("neutral", "timeout", 30, 30.0),
    ("neutral", "retry_delay", "500ms", 0.5),
    ("kfp", "timeout", "10m", 600),
    ("kfp", "timeout", 90.0, 90),
    ("neutral", "memory", "2Gi", 2 * 2**30),
    ("neutral", "memory", 1024, 1024),
    ("kfp", "cpu_request", 0.5, "500m"),
    ("kfp", "cpu_request", 2, "2"),
    ("kfp", "cpu_limit", "1.5", "1500m"),
    ("kfp", "cpu_limit", "250m", "250m"),
    ("kfp", "cpu_limit", "2000m", "2"),
    ("neutral", "setup", CallableRef("pkg.mod:init"), CallableRef("pkg.mod:init")),
    ("prefect", "on_failure", HOOK, [HOOK]),
    ("prefect", "on_failure", [HOOK, HOOK], [HOOK, HOOK]),
    ("prefect", "tags", [], []),
    ("neutral", "env", {"A": "1", "B": ""}, {"A": "1", "B": ""}),
    ("ray", "runtime_env", {"pip": ["numpy"], "env_vars": {"A": "1"}}, {"pip": ["numpy"], "env_vars": {"A": "1"}}),
    ("ray", "fallback_strategy", [{"label_selector": {"a": "b"}}], [{"label_selector": {"a": "b"}}]),
    ("ray", "resources", {"_model": 1, "disk": 0.5}, {"_model": 1, "disk": 0.5}),
    ("prefect", "retry_delay_seconds", 10, 10),
    ("prefect", "retry_delay_seconds", [1, 2.5, 10], [1, 2.5, 10]),
    ("ray", "retry_exceptions", True, True),
    (
        "ray", "retry_exceptions", ["ValueError", "pkg.errors.Flaky", "pkg.errors:Outer.Inner", CallableRef("m:E")],
        [CallableRef("builtins:ValueError"), CallableRef("pkg.errors:Flaky"), CallableRef("pkg.errors:Outer.Inner"),
         CallableRef("m:E")],
    ),
    ("kfp", "tolerations", [{"operator": "Exists"}], [{"operator": "Exists"}]),
    (
        "kfp", "tolerations", [{"key": "k", "value": "v", "effect": "NoExecute", "toleration_seconds": 30}],
        [{"key": "k", "value": "v", "effect": "NoExecute", "toleration_seconds": 30}],
    ),
    (
        "kfp", "secret_env",
        {"db": {"USER": "user", "PASSWORD": "password"}}, {"db": {"USER": "user", "PASSWORD": "password"}},
    ),
    ("kfp", "pvc_mounts", {"data": "/mnt/data"}, {"data": "/mnt/data"}),
]


@pytest.mark.parametrize("target,key,value,expected", ACCEPTED)
def test_kind_accepts_and_normalizes(target, key, value, expected):
    got, problem = check_option(target, key, value)
    assert problem is None
    assert got == expected and type(got) is type(expected)


def test_workflow_scope_accepts():
    assert check_option("ray", "max_pending", 100, "workflow") == (100, None)
    assert check_option("prefect", "task_runner", "dask", "workflow") == ("dask", None)
    runner, problem = check_option("prefect", "task_runner", "my.runners:Pool", "workflow")
    assert (runner, problem) == ("my.runners:Pool", None)
    imported = CallableRef("prefect_dask:DaskTaskRunner")
    assert check_option("prefect", "task_runner", imported, "workflow") == (imported, None)
    assert check_option("kfp", "image", "python:3.11-slim", "workflow") == ("python:3.11-slim", None)


def test_normalized_collections_are_copies():
    tags = ["a"]
    got, _ = check_option("prefect", "tags", tags)
    got.append("b")
    assert tags == ["a"]


# --- kinds: reject with the exact message --------------------------------------------

DURATION = 'a duration such as 30, "90s", "10m" or "1h30m"'
REJECTED = [
    ("ray", "num_cpus", "2", "ray option 'num_cpus' expects a number, got a string"),
    ("ray", "num_cpus", True, "ray option 'num_cpus' expects a number, got true"),
    ("ray", "num_cpus", -1, "ray option 'num_cpus' expects a number >= 0, got -1"),
    ("ray", "num_cpus", None, "ray option 'num_cpus' expects a number, got none"),
    ("neutral", "timeout", "ten", f"option 'timeout' expects {DURATION}, got \"ten\""),
    ("neutral", "timeout", "30 s", f"option 'timeout' expects {DURATION}, got \"30 s\""),
    ("neutral", "timeout", "10m1h", f"option 'timeout' expects {DURATION}, got \"10m1h\""),
    ("neutral", "timeout", -5, f"option 'timeout' expects {DURATION}, got -5"),
    ("neutral", "timeout", [1], f"option 'timeout' expects {DURATION}, got a list"),
    ("neutral", "seed", True, "option 'seed' expects an integer >= 0, got true"),
    ("neutral", "seed", 1.5, "option 'seed' expects an integer >= 0, got 1.5"),
    ("neutral", "seed", -3, "option 'seed' expects an integer >= 0, got -3"),
    ("neutral", "retries", -1, "option 'retries' expects an integer >= 0, got -1"),
    ("ray", "max_retries", -2, "ray option 'max_retries' expects an integer >= 0, or -1 for no limit, got -2"),
    ("ray", "max_pending", 0, "ray workflow option 'max_pending' expects an integer >= 1, got 0"),
    ("neutral", "cache", "false", "option 'cache' expects true or false, got a string"),
    ("neutral", "cache", 0, "option 'cache' expects true or false, got 0"),
    ("kfp", "image", CallableRef("m:f"), "kfp option 'image' expects a string, got the callable m:f"),
    ("kfp", "image", 3, "kfp option 'image' expects a string, got 3"),
    (
        "ray", "scheduling_strategy", "spread",
        'ray option \'scheduling_strategy\' expects one of "DEFAULT" or "SPREAD", got "spread"; did you mean "SPREAD"?',
    ),
    (
        "kfp", "image_pull_policy", "Sometimes",
        'kfp option \'image_pull_policy\' expects one of "Always", "IfNotPresent" or "Never", got "Sometimes"',
    ),
    (
        "neutral", "memory", "2GB",
        'option \'memory\' expects a size such as 1073741824, "512Mi", "2Gi" or "1G", got "2GB"',
    ),
    (
        "neutral", "memory", "100m",
        'option \'memory\' expects a size such as 1073741824, "512Mi", "2Gi" or "1G", got "100m"; '
        'sizes use "M" or "Mi"; "m" would mean thousandths',
    ),
    (
        "kfp", "timeout", "1.5s",
        'kfp option \'timeout\' expects a whole number of seconds such as 30, "90s", "10m" or "1h30m", got "1.5s"',
    ),
    (
        "kfp", "cpu_request", "0.0005",
        'kfp option \'cpu_request\' expects a CPU amount such as 1, 0.5 or "500m", got "0.0005"',
    ),
    (
        "kfp", "cpu_request", "1.5m",
        'kfp option \'cpu_request\' expects a CPU amount such as 1, 0.5 or "500m", got "1.5m"',
    ),
    (
        "kfp", "cpu_request", "two",
        'kfp option \'cpu_request\' expects a CPU amount such as 1, 0.5 or "500m", got "two"',
    ),
    (
        "neutral", "setup", "pkg.mod:init",
        "option 'setup' expects an imported callable (a name from a `from ... import` line), got a string",
    ),
    (
        "prefect", "on_failure", [HOOK, "x"],
        "prefect option 'on_failure' expects an imported callable or a list of them, got a list whose item 2 is \"x\"",
    ),
    ("prefect", "tags", "ml", 'prefect option \'tags\' expects a list of strings, got a string; write ["ml"]'),
    ("prefect", "tags", ["ml", 3], "prefect option 'tags' expects a list of strings, got a list whose item 2 is 3"),
    (
        "neutral", "env", {"OMP_NUM_THREADS": 1},
        'option \'env\' expects a dict of strings to strings, '
        'got a dict whose value for "OMP_NUM_THREADS" is 1; write "1"',
    ),
    (
        "neutral", "env", {"A": ["x"]},
        'option \'env\' expects a dict of strings to strings, got a dict whose value for "A" is a list',
    ),
    ("neutral", "env", ["A=1"], "option 'env' expects a dict of strings to strings, got a list"),
    (
        "ray", "runtime_env", {1: "x"},
        "ray option 'runtime_env' expects a dict with string keys, got a dict with the key 1; keys are strings",
    ),
    (
        "ray", "fallback_strategy", [1],
        "ray option 'fallback_strategy' expects a list of dicts, got a list whose item 1 is 1",
    ),
    (
        "ray", "resources", {"CPU": 1},
        'ray option \'resources\' expects a dict of resource names to numbers, '
        'got the resource "CPU"; use num_cpus instead',
    ),
    (
        "ray", "resources", {"_m": "1"},
        'ray option \'resources\' expects a dict of resource names to numbers, '
        'got a dict whose value for "_m" is a string',
    ),
    (
        "ray", "resources", {"_m": -1},
        'ray option \'resources\' expects a dict of resource names to numbers, got -1 for "_m"',
    ),
    (
        "prefect", "retry_delay_seconds", [1, "2"],
        "prefect option 'retry_delay_seconds' expects a number or a list of numbers, got a list whose item 2 is \"2\"",
    ),
    (
        "prefect", "retry_delay_seconds", [1] * 51,
        "prefect option 'retry_delay_seconds' expects a number or a list of numbers, got a list of 51 numbers; "
        "Prefect takes at most 50 retry delays",
    ),
    (
        "ray", "retry_exceptions", ["Flaky"],
        'ray option \'retry_exceptions\' expects true, false or a list of exception classes such as '
        '["ValueError", "mypkg.errors.Flaky"], got a list whose item 1 is "Flaky"; '
        'name a class with its module, e.g. "mypkg.errors.Flaky"',
    ),
    (
        "ray", "retry_exceptions", "ValueError",
        'ray option \'retry_exceptions\' expects true, false or a list of exception classes such as '
        '["ValueError", "mypkg.errors.Flaky"], got a string',
    ),
    (
        "kfp", "tolerations", [{"key": "gpu", "operator": "Equals"}],
        'kfp option \'tolerations\' expects a list of tolerations such as [{"key": "gpu", "operator": "Exists", '
        '"effect": "NoSchedule"}], got a toleration (item 1) whose operator is "Equals"; one of Equal, Exists',
    ),
    (
        "kfp", "tolerations", [{"value": "x"}],
        'kfp option \'tolerations\' expects a list of tolerations such as [{"key": "gpu", "operator": "Exists", '
        '"effect": "NoSchedule"}], got a toleration (item 1) without a key; a toleration without a key needs '
        '"operator": "Exists"',
    ),
    (
        "kfp", "tolerations", [{"key": "k", "seconds": 3}],
        'kfp option \'tolerations\' expects a list of tolerations such as [{"key": "gpu", "operator": "Exists", '
        '"effect": "NoSchedule"}], got a toleration (item 1) with the field "seconds"; '
        "fields: key, operator, value, effect, toleration_seconds",
    ),
    (
        "kfp", "secret_env", {"db": {"A": "k", "B": "k"}},
        'kfp option \'secret_env\' expects a dict of names to {"ENV_VAR": "key"} dicts, got two variables reading '
        'the key "k" of "db"; Kubernetes maps each key to one variable',
    ),
    (
        "kfp", "secret_env", {"db": "password"},
        'kfp option \'secret_env\' expects a dict of names to {"ENV_VAR": "key"} dicts, got a dict whose value for '
        '"db" is a string',
    ),
    (
        "kfp", "pvc_mounts", {"data": "mnt/data"},
        'kfp option \'pvc_mounts\' expects a dict of names to absolute mount paths, got the mount path "mnt/data" '
        'for "data"; mount paths are absolute',
    ),
    (
        "prefect", "task_runner", "thread",
        'prefect workflow option \'task_runner\' expects one of "threads", "processes", "ray" or "dask", an imported '
        'class or a "module:Class" path, got "thread"',
    ),
]


def scope_of(target: str, key: str) -> str:
    return "node" if key in known_options(target) else "workflow"


@pytest.mark.parametrize("target,key,value,message", REJECTED)
def test_kind_rejects_with_message(target, key, value, message):
    assert check_option(target, key, value, scope_of(target, key)) == (None, message)


def test_kinds_no_option_uses_yet():
    assert KINDS["int"].check(-3, None) == -3
    assert KINDS["int"].check(2**70, None) == 2**70
    with pytest.raises(Reject):
        KINDS["int"].check(True, None)


def test_any_kind_takes_anything():
    assert KINDS["any"].check(None, None) is None
    assert KINDS["any"].check([1, {"a": 2}], None) == [1, {"a": 2}]


def test_messages_are_one_line():
    for target, key, value, _ in REJECTED:
        assert "\n" not in check_option(target, key, value, scope_of(target, key))[1]


def test_long_values_are_shortened_in_messages():
    _, problem = check_option("neutral", "timeout", "x" * 200)
    assert problem.endswith('got "' + "x" * 56 + "...")


# --- unknown keys ------------------------------------------------------------------------

UNKNOWN = [
    ("ray", "node", "num_cpuz", "unknown ray option 'num_cpuz'; did you mean 'num_cpus'?"),
    ("ray", "node", "max_retry", "unknown ray option 'max_retry'; did you mean 'max_retries'?"),
    ("neutral", "node", "retires", "unknown option 'retires'; did you mean 'retries'?"),
    ("prefect", "node", "tag", "unknown prefect option 'tag'; did you mean 'tags'?"),
    ("kfp", "node", "memory_requests", "unknown kfp option 'memory_requests'; did you mean 'memory_request'?"),
    ("ray", "workflow", "max_pendng", "unknown ray workflow option 'max_pendng'; did you mean 'max_pending'?"),
    (
        "ray", "node", "zzz",
        "unknown ray option 'zzz'; valid ones are 'accelerator_type', 'enable_task_events', 'fallback_strategy', "
        "'label_selector', 'max_restarts', 'max_retries' and 8 more (see docs/options.md)",
    ),
    (
        "ray", "workflow", "zzz",
        "unknown ray workflow option 'zzz'; valid ones are 'address', 'init', 'max_pending'",
    ),
    (
        "ray", "node", "cpus",
        "unknown ray option 'cpus'; ray calls it 'num_cpus' (or put 'cpus' in the neutral `options { ... }` block)",
    ),
    (
        "ray", "node", "seed",
        "unknown ray option 'seed'; 'seed' is a neutral option: put it in the neutral `options { ... }` block",
    ),
    (
        "neutral", "node", "num_cpus",
        "unknown option 'num_cpus'; did you mean 'cpus'? 'num_cpus' is a ray option: put it in `options ray { ... }`",
    ),
    ("neutral", "node", "image", "unknown option 'image'; 'image' is a kfp option: put it in `options kfp { ... }`"),
    (
        "neutral", "node", "accelerator_type",
        "unknown option 'accelerator_type'; 'accelerator_type' is a ray and kfp option: "
        "put it in `options ray { ... }` or `options kfp { ... }`",
    ),
    (
        "ray", "node", "max_pending",
        "unknown ray option 'max_pending'; 'max_pending' is a workflow option: put it in the `workflow: { ... }` entry",
    ),
    (
        "ray", "workflow", "num_cpus",
        "unknown ray workflow option 'num_cpus'; 'num_cpus' is a node option: put it in a `\"regex\": { ... }` entry",
    ),
    (
        "neutral", "workflow", "max_pending",
        "unknown workflow option 'max_pending'; 'max_pending' is a ray workflow option: "
        "put it in `options ray { workflow: { ... } }`",
    ),
    (
        "neutral", "workflow", "zzz",
        "unknown workflow option 'zzz'; the neutral block has no workflow options; "
        "put them in a target block, e.g. `options ray { workflow: { ... } }`",
    ),
    (
        "ray", "node", "num_returns",
        "unknown ray option 'num_returns'; fuseflow does not expose it: "
        "a node returns one value; index its result instead",
    ),
    (
        "prefect", "node", "task_run_name",
        "unknown prefect option 'task_run_name'; fuseflow does not expose it: "
        "fuseflow names each task run after its node",
    ),
    (
        "prefect", "workflow", "name",
        "unknown prefect workflow option 'name'; fuseflow does not expose it: the workflow statement names the flow",
    ),
]


@pytest.mark.parametrize("target,scope,key,message", UNKNOWN)
def test_unknown_key_message(target, scope, key, message):
    assert check_option(target, key, 1, scope) == (None, message)


def test_unknown_messages_start_with_unknown_and_a_headline():
    # the checker puts a message's part before the first "; " under the key
    for _target, _scope, key, message in UNKNOWN:
        headline = message.split("; ", 1)[0]
        assert headline.startswith("unknown ") and headline.endswith(f"'{key}'")


# --- units -------------------------------------------------------------------------------


@pytest.mark.parametrize("text,seconds", [
    (0, 0.0), (30, 30.0), (2.5, 2.5), ("90", 90.0), ("1.5", 1.5), ("500ms", 0.5), ("30s", 30.0), ("10m", 600.0),
    ("2h", 7200.0), ("1h30m", 5400.0), ("1d", 86400.0), ("1d2h3m4s", 93784.0), ("1m30s", 90.0), ("1.5h", 5400.0),
    ("2s250ms", 2.25), ("0s", 0.0),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds
    assert type(parse_duration(text)) is float


@pytest.mark.parametrize("bad", [
    "", "ten", "10", "1h1h", "30m1h", "1 h", "-5s", "5S", "1w", "s", "1.h", True, None, [1], -1, float("inf"),
    CallableRef("a:b"),
])
def test_parse_duration_rejects(bad):
    if bad == "10":
        assert parse_duration(bad) == 10.0  # a bare number string is seconds
        return
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("text,size", [
    (0, 0), (1024, 1024), (2.0, 2), ("1024", 1024), ("512Mi", 512 * 2**20), ("2Gi", 2 * 2**30), ("1G", 10**9),
    ("100M", 10**8), ("1.5Gi", 3 * 2**29), ("1k", 1000), ("1K", 1000), ("1Ki", 1024), ("2Ti", 2 * 2**40),
    ("1E", 10**18), ("1Ei", 2**60), ("0.5Ki", 512),
])
def test_parse_size(text, size):
    assert parse_size(text) == size
    assert type(parse_size(text)) is int


@pytest.mark.parametrize("bad", [
    "", "2GB", "2gi", "100m", "1.1", "0.3Ki", "-1Gi", "1 Gi", "Gi", -1, 1.5, True, None, ["1"],
])
def test_parse_size_rejects(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


@pytest.mark.parametrize("n,text", [
    (0, "0"), (1, "1"), (1000, "1000"), (1024, "1Ki"), (2147483648, "2Gi"), (1500000000, "1500M"),
    (10**9, "1G"), (3 * 2**29, "1536Mi"), (1024000, "1000Ki"), (10**6 + 1, "1000001"), (2**60, "1Ei"),
    (5 * 10**18, "5E"),
])
def test_format_size_k8s(n, text):
    assert format_size_k8s(n) == text
    assert parse_size(text) == n


def test_format_size_k8s_round_trips_and_is_shortest():
    suffixes = {"": 1, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
                "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
    for n in [7, 999, 4096, 10**7, 123 * 2**20, 2**31 - 1, 10**12, 3 * 10**15, 2**40 + 2**30]:
        text = format_size_k8s(n)
        assert parse_size(text) == n
        exact = [f"{n // m}{s}" for s, m in suffixes.items() if n % m == 0]
        assert len(text) == min(map(len, exact))
        assert not text.endswith(("k", "K"))  # Kubernetes writes k, KFP K: neither is written


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1Gi"])
def test_format_size_k8s_rejects(bad):
    with pytest.raises(ValueError):
        format_size_k8s(bad)


# --- CallableRef ---------------------------------------------------------------------------


def test_callable_ref():
    ref = CallableRef("pkg.mod:Outer.method")
    assert isinstance(ref, str) and ref == "pkg.mod:Outer.method"
    assert (ref.module, ref.qualname) == ("pkg.mod", "Outer.method")
    assert repr(ref) == "CallableRef('pkg.mod:Outer.method')"
    assert CallableRef(ref) == ref
    for bad in ["mod", "mod:", ":f", "a b:f", "mod:f:g", "1mod:f"]:
        with pytest.raises(ValueError):
            CallableRef(bad)


# --- the neutral mapping -------------------------------------------------------------------

MAPPED_TARGETS = ("local", "ray", "prefect", "kfp")


@pytest.mark.parametrize("target", MAPPED_TARGETS)
def test_every_neutral_key_is_handled_by_every_target(target):
    neutral = set(known_options("neutral"))
    mapped, runtime, ignored = (set(d[target]) for d in (S.NEUTRAL_MAPPING, S.NEUTRAL_RUNTIME, S.NEUTRAL_IGNORED))
    assert mapped | runtime | ignored == neutral
    assert not (mapped | runtime) & ignored
    assert set(S.NEUTRAL_MAPPING) == set(S.NEUTRAL_RUNTIME) == set(S.NEUTRAL_IGNORED) == set(MAPPED_TARGETS)


def test_runtime_handles_what_no_target_can_map():
    for key in ("seed", "setup", "always_read"):
        assert all(key in S.NEUTRAL_RUNTIME[t] for t in MAPPED_TARGETS)


@pytest.mark.parametrize("target", ["ray", "prefect", "kfp"])
def test_mapped_keys_exist_and_take_the_neutral_value(target):
    neutral = normalized("neutral", "node")
    for key, own in S.NEUTRAL_MAPPING[target].items():
        assert own in known_options(target), own
        got_key, value, problem = map_neutral(target, key, neutral[key])
        assert (got_key, problem) == (own, None)
        assert value is not None


def test_map_neutral_normalizes_and_reports():
    assert map_neutral("ray", "cpus", 2) == ("num_cpus", 2, None)
    assert map_neutral("kfp", "cpus", 0.5) == ("cpu_request", "500m", None)
    assert map_neutral("kfp", "memory", 2**31) == ("memory_request", 2**31, None)
    assert map_neutral("kfp", "timeout", 600.0) == ("timeout", 600, None)
    assert map_neutral("ray", "seed", 7) == (None, 7, None)
    assert map_neutral("kfp", "gpus", 0.5) == (
        "accelerator_limit", None,
        "option 'gpus' cannot be used on kfp as given: kfp option 'accelerator_limit' expects an integer >= 0, got 0.5",
    )


# --- docs ------------------------------------------------------------------------------------


def test_docs_are_in_sync_with_the_schema():
    path = ROOT / "docs" / "options.md"
    assert path.read_text(encoding="utf-8") == S.render_markdown(), (
        "docs/options.md is stale: run `python -m fuseflow.schemas > docs/options.md`"
    )


def test_docs_mention_every_option():
    text = S.render_markdown()
    for target, spec in all_specs():
        assert f"| `{spec.name}` |" in text, (target, spec.name)
    assert "later entries win" in text.lower() and "workflow" in text


def test_schemas_import_no_backend():
    code = (
        "import sys, fuseflow.schemas as s; s.render_markdown(); "
        "print([m for m in sys.modules if m.split('.')[0] in ('ray', 'prefect', 'kfp', 'lark', 'jinja2') "
        "or m.startswith('fuseflow.compiler')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# --- against the installed libraries ---------------------------------------------------------


def resolve_api(api: str) -> tuple[object, str | None]:
    """``"kfp.dsl.PipelineTask.set_retry(num_retries)"`` -> (the method, "num_retries")."""
    path, _, param = api.partition("(")
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj, param.rstrip(")") or None
    raise ImportError(api)


def parameters(func: object) -> set[str]:
    return set(inspect.signature(func).parameters)


def check_apis(prefix: str) -> None:
    for _target, spec in all_specs():
        for api in spec.api:
            if api.startswith(prefix):
                obj, param = resolve_api(api)
                assert callable(obj), api
                if param:
                    assert param in parameters(obj), api


# Ray ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_options():
    pytest.importorskip("ray")
    try:
        from ray._common import ray_option_utils as utils  # Ray >= 2.5x
    except ImportError:  # older Ray
        from ray._private import ray_option_utils as utils
    return utils.task_options, utils.actor_options


def test_ray_keys_are_real_ray_options_and_applies_to_is_right(ray_options):
    task, actor = ray_options
    for spec in known_options("ray").values():
        places = {(True, True): "both", (True, False): "task", (False, True): "actor"}
        where = places.get((spec.name in task, spec.name in actor))
        assert where == spec.applies_to, spec.name


def test_ray_table_and_exclusions_cover_every_ray_option(ray_options):
    task, actor = ray_options
    assert set(known_options("ray")) | set(S.EXCLUDED["ray"]["node"]) == set(task) | set(actor)
    assert not set(known_options("ray")) & set(S.EXCLUDED["ray"]["node"])


def test_ray_accepts_the_normalized_values(ray_options):
    import ray

    values = normalized("ray", "node")
    values["retry_exceptions"] = [resolve(ref) for ref in values["retry_exceptions"]]
    specs = known_options("ray")
    task_opts = {k: v for k, v in values.items() if specs[k].applies_to != "actor"}
    actor_opts = {k: v for k, v in values.items() if specs[k].applies_to != "task"}

    def f():
        return 1

    class C:
        pass

    ray.remote(f).options(**task_opts)  # validates without a running Ray
    ray.remote(C).options(**actor_opts)


def test_ray_workflow_apis(ray_options):
    check_apis("ray.")
    assert "address" in parameters(resolve_api("ray.init")[0])
    for key in SAMPLES[("ray", "workflow")]["init"]:
        assert key in parameters(resolve_api("ray.init")[0])


# Prefect --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prefect(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect_home")))
    yield pytest.importorskip("prefect")
    mp.undo()


def _signature_names(*funcs) -> set[str]:
    names = set().union(*(parameters(f) for f in funcs))
    return {n for n in names if n not in ("self", "fn") and not n.endswith("__fn")}


def test_prefect_apis_exist(prefect):
    check_apis("prefect.")


def test_prefect_node_table_and_exclusions_cover_task_parameters(prefect):
    from prefect.tasks import Task

    params = _signature_names(prefect.task, Task.with_options)
    ours, excluded = set(known_options("prefect")), set(S.EXCLUDED["prefect"]["node"])
    assert ours | excluded == params and not ours & excluded
    for spec in known_options("prefect").values():
        in_with_options = f"prefect.tasks.Task.with_options({spec.name})" in spec.api
        assert in_with_options == (spec.name in parameters(Task.with_options)), spec.name


def test_prefect_workflow_table_covers_flow_parameters(prefect):
    from prefect.flows import Flow

    params = _signature_names(prefect.flow, Flow.with_options)
    flow_keys = {s.name for s in known_options("prefect", "workflow").values() if any("flow" in a for a in s.api)}
    ours = flow_keys - {"max_workers"}
    excluded = set(S.EXCLUDED["prefect"]["workflow"])
    assert ours | excluded == params and not ours & excluded


def _prefect_value(spec: OptionSpec, value: object) -> object:
    if spec.kind == "callable":
        return resolve(value)
    if spec.kind == "callable_list":
        return [resolve(v) for v in value]
    if spec.name == "cache_policy":
        return getattr(importlib.import_module("prefect.cache_policies"), value.upper())
    if spec.kind == "duration":
        return datetime.timedelta(seconds=value)
    return value


def test_prefect_accepts_the_normalized_values(prefect):
    specs = known_options("prefect")
    options = {k: _prefect_value(specs[k], v) for k, v in normalized("prefect", "node").items()}

    def f(x):
        return x

    task = prefect.task(**options)(f)
    assert task.tags == {"ml"} and task.retry_delay_seconds == [1, 2.5]
    without_version = {k: v for k, v in options.items() if k != "version"}
    task.with_options(**without_version)


def test_prefect_cache_policy_names(prefect):
    from prefect import cache_policies
    from prefect.cache_policies import CachePolicy

    for name in known_options("prefect")["cache_policy"].choices:
        assert isinstance(getattr(cache_policies, name.upper()), CachePolicy), name


def test_prefect_flow_accepts_the_normalized_workflow_values(prefect):
    values = normalized("prefect", "workflow")
    specs = known_options("prefect", "workflow")
    runner_class = resolve(CallableRef(S.PREFECT_TASK_RUNNERS[values.pop("task_runner")]))
    runner = runner_class(max_workers=values.pop("max_workers"))
    options = {k: _prefect_value(specs[k], v) for k, v in values.items()}

    def f(x):
        return x

    flow = prefect.flow(task_runner=runner, **options)(f)
    flow.with_options(**{k: v for k, v in options.items()})


def test_prefect_builtin_task_runners_exist(prefect):
    for name in ("threads", "processes"):
        runner = resolve(CallableRef(S.PREFECT_TASK_RUNNERS[name]))
        assert "max_workers" in parameters(runner)


# KFP ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kfp():
    kfp = pytest.importorskip("kfp")
    pytest.importorskip("kfp.kubernetes")
    return kfp


def test_kfp_apis_exist(kfp):
    check_apis("kfp.")


def test_kfp_unexposed_list_is_complete(kfp):
    from kfp import dsl, kubernetes

    used = {api.partition("(")[0] for _, spec in all_specs() for api in spec.api if api.startswith("kfp.")}
    task_methods = {f"kfp.dsl.PipelineTask.{n}" for n in dir(dsl.PipelineTask)
                    if n.startswith(("set_", "add_", "ignore_")) or n == "after"}
    k8s_functions = {f"kfp.kubernetes.{n}" for n in getattr(kubernetes, "__all__", dir(kubernetes))
                     if not n.startswith("_") and callable(getattr(kubernetes, n))}
    everything = task_methods | k8s_functions
    assert everything - used - set(S.KFP_UNEXPOSED) == set(), "new KFP settings: expose them or list them"
    assert set(S.KFP_UNEXPOSED) <= everything, "KFP_UNEXPOSED names something KFP no longer has"
    assert not used & set(S.KFP_UNEXPOSED)


def test_kfp_toleration_fields_match_add_toleration(kfp):
    from kfp import kubernetes

    from fuseflow.schemas import kinds

    assert set(kinds._TOLERATION_KEYS) == parameters(kubernetes.add_toleration) - {"task"}
    hints = typing.get_type_hints(kubernetes.add_toleration)
    for field, choices in kinds._TOLERATION_CHOICES.items():
        literal = [a for a in typing.get_args(hints[field]) if typing.get_origin(a) is typing.Literal]
        assert set(typing.get_args(literal[0])) == set(choices), field


def _apply_kfp(task, o: dict) -> None:
    """What the kfp target does with each normalized option (a test's own, minimal version)."""
    from kfp import kubernetes as k

    task.set_display_name(o["display_name"]).set_caching_options(o["caching"])
    task.set_retry(o["retries"], f"{o['retry_backoff_duration']}s", o["retry_backoff_factor"],
                   f"{o['retry_backoff_max_duration']}s")
    task.set_cpu_request(o["cpu_request"]).set_cpu_limit(o["cpu_limit"])
    task.set_memory_request(format_size_k8s(o["memory_request"])).set_memory_limit(format_size_k8s(o["memory_limit"]))
    task.set_accelerator_type(o["accelerator_type"]).set_accelerator_limit(o["accelerator_limit"])
    for name, value in o["env"].items():
        task.set_env_variable(name, value)
    k.set_timeout(task, o["timeout"])
    for secret, env in o["secret_env"].items():
        k.use_secret_as_env(task, secret, {key: var for var, key in env.items()})
    for config_map, env in o["config_map_env"].items():
        k.use_config_map_as_env(task, config_map, {key: var for var, key in env.items()})
    for secret, path in o["secret_volumes"].items():
        k.use_secret_as_volume(task, secret, mount_path=path)
    for config_map, path in o["config_map_volumes"].items():
        k.use_config_map_as_volume(task, config_map, mount_path=path)
    for pvc, path in o["pvc_mounts"].items():
        k.mount_pvc(task, pvc_name=pvc, mount_path=path)
    for key, value in o["node_selector"].items():
        k.add_node_selector(task, key, value)
    for toleration in o["tolerations"]:
        k.add_toleration(task, **toleration)
    k.set_image_pull_secrets(task, o["image_pull_secrets"])
    k.set_image_pull_policy(task, o["image_pull_policy"])
    for key, value in o["pod_labels"].items():
        k.add_pod_label(task, key, value)
    for key, value in o["pod_annotations"].items():
        k.add_pod_annotation(task, key, value)


def test_kfp_compiles_a_pipeline_with_every_normalized_option(kfp, tmp_path):
    from kfp import compiler, dsl

    node, wf = normalized("kfp", "node"), normalized("kfp", "workflow")

    @dsl.component(base_image=node["image"], packages_to_install=node["packages"],
                   pip_index_urls=node["pip_index_urls"])
    def step():  # no annotations: `from __future__ import annotations` turns them into strings KFP cannot read
        pass

    @dsl.pipeline(name="schemas", description=wf["description"], display_name=wf["display_name"],
                  pipeline_root=wf["pipeline_root"])
    def pipeline():
        _apply_kfp(step(), node)

    out = tmp_path / "p.yaml"
    compiler.Compiler().compile(pipeline, str(out))
    text = out.read_text()
    for expected in ("activeDeadlineSeconds: '600'", "backoffDuration: 90s", "backoffMaxDuration: 3600s",
                     "resourceCpuRequest: 500m", "resourceMemoryRequest: 1536Mi", "resourceMemoryLimit: 2G",
                     "secretName: db", "envVar: PASSWORD", "imagePullPolicy: IfNotPresent", "mountPath: /data"):
        assert expected in text, expected


def test_kfp_duration_trap():
    """KFP reads "500ms" as 500 minutes: whole_duration options hand it seconds only."""
    structures = pytest.importorskip("kfp.dsl.structures")
    assert structures.convert_duration_to_seconds("500ms") == 30000
    assert check_option("kfp", "retry_backoff_duration", "500ms")[1] is not None


def test_kfp_memory_regex_accepts_format_size_k8s(kfp):
    from kfp import dsl

    @dsl.component(base_image="python:3.11-slim")
    def step():  # no annotations: `from __future__ import annotations` turns them into strings KFP cannot read
        pass

    @dsl.pipeline(name="sizes")
    def pipeline():
        task = step()
        for n in (0, 1000, 1024, 10**9, 2**31, 1500000000, 3 * 2**29, 1024000):
            task.set_memory_request(format_size_k8s(n))
        for cpu in (0.001, 0.5, 1, 2.5, "250m", "3"):
            task.set_cpu_request(check_option("kfp", "cpu_request", cpu)[0])

    assert pipeline.name == "sizes"  # @dsl.pipeline ran the body, and with it the setters' checks

    with pytest.raises(ValueError, match="Invalid memory string"):

        @dsl.pipeline(name="kilo")
        def kilo():  # Kubernetes spells 1000 bytes "1k"; KFP refuses it (and takes "1K", which Kubernetes refuses)
            step().set_memory_request("1k")


def test_builtin_exceptions_are_recognized():
    got, _ = check_option("ray", "retry_exceptions", ["TimeoutError", "OSError"])
    assert [resolve(ref) for ref in got] == [builtins.TimeoutError, builtins.OSError]
