"""Value kinds of options: each one validates a literal and normalizes it.

A kind is a small closed set of shapes (``duration``, ``size``, ``str_dict``...).
Its ``check(value, spec)`` returns the normalized value or raises ``Reject``
saying what was received; the caller words the full message, so every kind
reads the same way::

    ray option 'num_cpus' expects a number, got a string
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .spec import IDENT_PATH, CallableRef, OptionSpec
from .units import is_int, is_number, parse_cpu, parse_duration, parse_size


class Reject(Exception):
    """A value does not fit its kind.

    ``got`` finishes "... got <got>"; ``expects`` overrides the kind's own
    phrase when the failure is about a bound (``a number >= 0``); ``hint``
    is appended after "; ".
    """

    def __init__(self, got: str, expects: str | None = None, hint: str | None = None):
        super().__init__(got)
        self.got, self.expects, self.hint = got, expects, hint


# --- how a received value is described -------------------------------------------


def literal(value: Any, limit: int = 60) -> str:
    """Render a value the way it is written in a ``.fuse`` file."""
    text = _literal(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _literal(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "none", True: "true", False: "false"}[value]
    if isinstance(value, CallableRef):
        return value.qualname.rpartition(".")[2]
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def describe(value: Any) -> str:
    """Name a value of the wrong type: "a string", "a list", or the number itself."""
    if isinstance(value, CallableRef):
        return f"the callable {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a dict"
    return literal(value)


# --- the kinds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A value shape: its phrase after "expects", and its checker/normalizer."""

    name: str
    expects: str
    check: Callable[[Any, OptionSpec], Any]


KINDS: dict[str, Kind] = {}

# A checker keeps its own signature once registered, so kinds built on other
# kinds (``env`` on ``str_dict``) see what those return.
_Check = TypeVar("_Check", bound=Callable[[Any, OptionSpec], Any])


def kind(name: str, expects: str) -> Callable[[_Check], _Check]:
    def register(check: _Check) -> _Check:
        KINDS[name] = Kind(name, expects, check)
        return check

    return register


def expects(kind_name: str, spec: OptionSpec) -> str:
    """The phrase for a kind, with a choice list filled in from the spec."""
    phrase = KINDS[kind_name].expects
    return phrase.format(choices=_choices(spec)) if "{choices}" in phrase else phrase


def _choices(spec: OptionSpec) -> str:
    names = [json.dumps(c) for c in spec.choices]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def _int_at_least(value: Any, low: int, phrase: str) -> int:
    if not is_int(value):
        raise Reject(describe(value))
    if value < low:
        raise Reject(literal(value), expects=phrase)
    return value


@kind("int", "an integer")
def _int(value: Any, spec: OptionSpec) -> int:
    if not is_int(value):
        raise Reject(describe(value))
    return value


@kind("nonneg_int", "an integer >= 0")
def _nonneg_int(value: Any, spec: OptionSpec) -> int:
    return _int_at_least(value, 0, "an integer >= 0")


@kind("positive_int", "an integer >= 1")
def _positive_int(value: Any, spec: OptionSpec) -> int:
    return _int_at_least(value, 1, "an integer >= 1")


@kind("count", "an integer >= 0, or -1 for no limit")
def _count(value: Any, spec: OptionSpec) -> int:
    return _int_at_least(value, -1, "an integer >= 0, or -1 for no limit")


@kind("number", "a number")
def _number(value: Any, spec: OptionSpec) -> int | float:
    if not is_number(value):
        raise Reject(describe(value))
    if value < 0:
        raise Reject(literal(value), expects="a number >= 0")
    return value


@kind("bool", "true or false")
def _bool(value: Any, spec: OptionSpec) -> bool:
    if not isinstance(value, bool):
        raise Reject(describe(value))
    return value


@kind("str", "a string")
def _str(value: Any, spec: OptionSpec) -> str:
    if not isinstance(value, str) or isinstance(value, CallableRef):
        raise Reject(describe(value))
    return str(value)


@kind("choice", "one of {choices}")
def _choice(value: Any, spec: OptionSpec) -> str:
    _str(value, spec)
    if value not in spec.choices:
        same = [c for c in spec.choices if c.lower() == value.lower()]
        raise Reject(literal(value), hint=f"did you mean {json.dumps(same[0])}?" if same else None)
    return str(value)


@kind("choice_or_callable", 'one of {choices}, an imported class or a "module:Class" path')
def _choice_or_callable(value: Any, spec: OptionSpec) -> str:
    if isinstance(value, CallableRef):
        return value
    _str(value, spec)
    if value in spec.choices:
        return str(value)
    try:
        return str(CallableRef(value))
    except ValueError:
        raise Reject(literal(value)) from None


@kind("duration", 'a duration such as 30, "90s", "10m" or "1h30m"')
def _duration(value: Any, spec: OptionSpec) -> float:
    try:
        return parse_duration(value)
    except ValueError:
        raise Reject(literal(value) if is_number(value) or _plain_str(value) else describe(value)) from None


@kind("whole_duration", 'a whole number of seconds such as 30, "90s", "10m" or "1h30m"')
def _whole_duration(value: Any, spec: OptionSpec) -> int:
    seconds = _duration(value, spec)
    if seconds != int(seconds):
        raise Reject(literal(value))
    return int(seconds)


@kind("size", 'a size such as 1073741824, "512Mi", "2Gi" or "1G"')
def _size(value: Any, spec: OptionSpec) -> int:
    try:
        return parse_size(value)
    except ValueError:
        thousandths = _plain_str(value) and value.endswith("m")
        hint = 'sizes use "M" or "Mi"; "m" would mean thousandths' if thousandths else None
        raise Reject(literal(value) if is_number(value) or _plain_str(value) else describe(value), hint=hint) from None


@kind("cpu", 'a CPU amount such as 1, 0.5 or "500m"')
def _cpu(value: Any, spec: OptionSpec) -> str:
    try:
        return parse_cpu(value)
    except ValueError:
        raise Reject(literal(value) if is_number(value) or _plain_str(value) else describe(value)) from None


def _plain_str(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, CallableRef)


@kind("callable", "an imported callable (a name from a `from ... import` line)")
def _callable(value: Any, spec: OptionSpec) -> CallableRef:
    if not isinstance(value, CallableRef):
        raise Reject(describe(value))
    return value


@kind("callable_list", "an imported callable or a list of them")
def _callable_list(value: Any, spec: OptionSpec) -> list[CallableRef]:
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        if not isinstance(item, CallableRef):
            raise Reject(describe(value) if item is value else _item(i, item))
    return list(items)


def _item(i: int, item: Any) -> str:
    return f"a list whose item {i + 1} is {describe(item) if not _plain_str(item) else literal(item)}"


def _entry(key: Any, value: Any) -> str:
    return f"a dict whose value for {literal(key)} is {describe(value)}"


@kind("str_list", "a list of strings")
def _str_list(value: Any, spec: OptionSpec) -> list[str]:
    if not isinstance(value, list):
        raise Reject(describe(value), hint=f"write [{literal(value)}]" if _plain_str(value) else None)
    for i, item in enumerate(value):
        if not _plain_str(item):
            raise Reject(f"a list whose item {i + 1} is {describe(item)}")
    return [str(v) for v in value]


@kind("module_list", "a list of module names (dotted Python names)")
def _module_list(value: Any, spec: OptionSpec) -> list[str]:
    names = _str_list(value, spec)
    for i, name in enumerate(names):
        if not IDENT_PATH.fullmatch(name):
            raise Reject(f"a list whose item {i + 1} is {literal(name)}",
                         hint='name a module as Python imports it ("ops", "pkg.sub"), not a file or a path')
    return names


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Reject(describe(value))
    for key in value:
        if not isinstance(key, str):
            raise Reject(f"a dict with the key {literal(key)}", hint="keys are strings")
    return value


@kind("str_dict", "a dict of strings to strings")
def _str_dict(value: Any, spec: OptionSpec) -> dict[str, str]:
    for key, item in _dict(value).items():
        if not _plain_str(item):
            hint = f"write {json.dumps(str(item))}" if is_number(item) else None
            raise Reject(_entry(key, item), hint=hint)
    return {str(k): str(v) for k, v in value.items()}


@kind("env", "a dict of strings to strings")
def _env(value: Any, spec: OptionSpec) -> dict[str, str]:
    """What a process environment can hold: os.environ refuses a name that is
    empty or holds '=', and NUL anywhere, only when the node is about to run."""
    env = _str_dict(value, spec)
    for name, text in env.items():
        if not name or "=" in name or "\x00" in name:
            raise Reject(f"the variable name {literal(name)}",
                         hint="a variable's name is not empty and holds no '=' or NUL")
        if "\x00" in text:
            raise Reject(f"a NUL character in the value of {literal(name)}",
                         hint="an environment variable cannot hold NUL")
    return env


@kind("dict", "a dict with string keys")
def _any_dict(value: Any, spec: OptionSpec) -> dict[str, Any]:
    return dict(_dict(value))


@kind("dict_list", "a list of dicts")
def _dict_list(value: Any, spec: OptionSpec) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise Reject(describe(value))
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise Reject(f"a list whose item {i + 1} is {describe(item)}")
    return [dict(item) for item in value]


@kind("resources", "a dict of resource names to numbers")
def _resources(value: Any, spec: OptionSpec) -> dict[str, int | float]:
    for key, item in _dict(value).items():
        if key in ("CPU", "GPU"):
            raise Reject(f"the resource {literal(key)}", hint=f"use num_{key.lower()}s instead")
        if not is_number(item) or item < 0:
            raise Reject(_entry(key, item) if not is_number(item) else f"{literal(item)} for {literal(key)}")
    return dict(value)


@kind("number_or_list", "a number or a list of numbers")
def _number_or_list(value: Any, spec: OptionSpec) -> int | float | list[int | float]:
    if not isinstance(value, list):
        return _number(value, spec)
    for i, item in enumerate(value):
        if not is_number(item) or item < 0:
            raise Reject(_item(i, item))
    if len(value) > 50:
        raise Reject(f"a list of {len(value)} numbers", hint="Prefect takes at most 50 retry delays")
    return list(value)


@kind("retry_exceptions", 'true, false or a list of exception classes such as ["ValueError", "mypkg.errors.Flaky"]')
def _retry_exceptions(value: Any, spec: OptionSpec) -> bool | list[CallableRef]:
    if isinstance(value, bool):
        return value
    if not isinstance(value, list):
        raise Reject(describe(value))
    return [_exception_ref(item, i) for i, item in enumerate(value)]


def _exception_ref(item: Any, i: int) -> CallableRef:
    """``"ValueError"`` -> builtins:ValueError, ``"a.b.Flaky"`` -> a.b:Flaky."""
    if isinstance(item, CallableRef):
        return item
    if not _plain_str(item):
        raise Reject(_item(i, item))
    if ":" in item:
        try:
            return CallableRef(item)
        except ValueError:
            raise Reject(_item(i, item)) from None
    if IDENT_PATH.fullmatch(item) and "." in item:
        module, _, name = item.rpartition(".")
        return CallableRef(f"{module}:{name}")
    builtin = getattr(builtins, item, None) if item.isidentifier() else None
    if isinstance(builtin, type) and issubclass(builtin, BaseException):
        return CallableRef(f"builtins:{item}")
    raise Reject(_item(i, item), hint='name a class with its module, e.g. "mypkg.errors.Flaky"')


_TOLERATION_KEYS = ("key", "operator", "value", "effect", "toleration_seconds")
_TOLERATION_CHOICES = {"operator": ("Equal", "Exists"), "effect": ("NoExecute", "NoSchedule", "PreferNoSchedule")}


@kind("tolerations", 'a list of tolerations such as [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]')
def _tolerations(value: Any, spec: OptionSpec) -> list[dict[str, Any]]:
    return [_toleration(item, i) for i, item in enumerate(_dict_list(value, spec))]


def _toleration(item: dict[str, Any], i: int) -> dict[str, Any]:
    where = f"a toleration (item {i + 1})"
    for key, field in item.items():
        if key not in _TOLERATION_KEYS:
            raise Reject(f"{where} with the field {literal(key)}", hint="fields: " + ", ".join(_TOLERATION_KEYS))
        if key == "toleration_seconds" and not is_int(field):
            raise Reject(f"{where} whose toleration_seconds is {describe(field)}")
        if key != "toleration_seconds" and not _plain_str(field):
            raise Reject(f"{where} whose {key} is {describe(field)}")
        if field not in _TOLERATION_CHOICES.get(key, (field,)):
            raise Reject(f"{where} whose {key} is {literal(field)}",
                         hint="one of " + ", ".join(_TOLERATION_CHOICES[key]))
    if not item.get("key") and item.get("operator", "Equal") != "Exists":
        raise Reject(f"{where} without a key", hint='a toleration without a key needs "operator": "Exists"')
    return dict(item)


@kind("env_from", 'a dict of names to {"ENV_VAR": "key"} dicts')
def _env_from(value: Any, spec: OptionSpec) -> dict[str, dict[str, str]]:
    out = {}
    for name, mapping in _dict(value).items():
        if not isinstance(mapping, dict):
            raise Reject(_entry(name, mapping))
        out[name] = _str_dict(mapping, spec)
        keys = list(out[name].values())
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise Reject(f"two variables reading the key {literal(twice[0])} of {literal(name)}",
                         hint="Kubernetes maps each key to one variable")
    return out


@kind("path_dict", "a dict of names to absolute mount paths")
def _path_dict(value: Any, spec: OptionSpec) -> dict[str, str]:
    paths = _str_dict(value, spec)
    for name, path in paths.items():
        if not path.startswith("/"):
            raise Reject(f"the mount path {literal(path)} for {literal(name)}", hint="mount paths are absolute")
    return paths


@kind("any", "any value")
def _any(value: Any, spec: OptionSpec) -> Any:
    return value
