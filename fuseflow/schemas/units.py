"""Units: durations, byte sizes and CPU amounts, parsed exactly (with Fraction)."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, TypeGuard

from .spec import CallableRef


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or a finite float: a .fuse file has no NaN or infinity, nor has `--set` (the same checker)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_DURATION_UNITS: dict[str, int | Fraction] = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": Fraction(1, 1000)}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|d|h|m|s)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def parse_duration(value: Any) -> float:
    """Seconds in a duration: ``30``, ``2.5``, ``"500ms"``, ``"90s"``, ``"1h30m"``, ``"1d"``.

    Units go from large to small, each at most once; a bare number string is
    seconds. Raises ValueError otherwise (negative values included).
    """
    if is_number(value):
        if value < 0 or value != value or value == float("inf"):
            raise ValueError(f"a duration must be finite and >= 0, not {value!r}")
        return float(value)
    if not isinstance(value, str) or isinstance(value, CallableRef):
        raise ValueError(f"not a duration: {value!r}")
    if _NUMBER.fullmatch(value):
        return float(Fraction(value))
    return float(_duration_parts(value))


def _duration_parts(text: str) -> Fraction:
    total, pos, order = Fraction(0), 0, list(_DURATION_UNITS)
    last = -1
    for match in _DURATION_PART.finditer(text):
        rank = order.index(match.group(2))
        if match.start() != pos or rank <= last:
            break
        total += Fraction(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos, last = match.end(), rank
    if pos != len(text) or not text:
        raise ValueError(f'not a duration: {text!r} (examples: "500ms", "90s", "10m", "1h30m", "1d")')
    return total


# Suffixes valid both for Kubernetes and for KFP's memory regex; "k" is the
# Kubernetes spelling of 1000 and "K" the KFP one, so both are read but neither
# is written (format_size_k8s avoids them).
_SIZE_SUFFIXES = {
    "": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?|\.\d+)([kKMGTPE]i?|)")
_WRITE_ORDER = ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki", "E", "P", "T", "G", "M", "")


def parse_size(value: Any) -> int:
    """Bytes in a size: ``1024``, ``"1024"``, ``"512Mi"``, ``"2Gi"``, ``"1G"``, ``"1.5Gi"``.

    Binary (Ki..Ei) and decimal (k/K, M..E) suffixes as in Kubernetes; the
    result must be a whole number of bytes. Raises ValueError otherwise.
    """
    if is_number(value):
        if value < 0 or value != value or value == float("inf") or value != int(value):
            raise ValueError(f"a size must be a whole number of bytes >= 0, not {value!r}")
        return int(value)
    if not isinstance(value, str) or isinstance(value, CallableRef):
        raise ValueError(f"not a size: {value!r}")
    match = _SIZE.fullmatch(value)
    if match is None:
        raise ValueError(f'not a size: {value!r} (examples: "512Mi", "2Gi", "1G", "1500M")')
    amount = Fraction(match.group(1)) * _SIZE_SUFFIXES[match.group(2)]
    if amount.denominator != 1:
        raise ValueError(f"{value!r} is not a whole number of bytes")
    return int(amount)


def format_size_k8s(n: int) -> str:
    """The shortest exact Kubernetes quantity for ``n`` bytes that KFP also accepts.

    >>> format_size_k8s(2147483648), format_size_k8s(1500000000), format_size_k8s(1000)
    ('2Gi', '1500M', '1000')
    """
    if not is_int(n) or n < 0:
        raise ValueError(f"a size in bytes must be an int >= 0, not {n!r}")
    forms = [f"{n // _SIZE_SUFFIXES[s]}{s}" for s in _WRITE_ORDER if n % _SIZE_SUFFIXES[s] == 0]
    return min(forms, key=len) if n else "0"


def parse_cpu(value: Any) -> str:
    """A CPU amount as KFP writes it: ``1`` -> ``"1"``, ``0.5`` -> ``"500m"``, ``"1.5"`` -> ``"1500m"``.

    Kubernetes has no unit finer than a millicore, so ``"0.0005"`` is refused.
    """
    if is_number(value):
        if value < 0 or value != value or value == float("inf"):
            raise ValueError(f"a CPU amount must be >= 0, not {value!r}")
        millis = Fraction(str(value)) * 1000
    elif isinstance(value, str) and re.fullmatch(r"\d+m", value):
        millis = Fraction(value[:-1])
    elif isinstance(value, str) and _NUMBER.fullmatch(value):
        millis = Fraction(value) * 1000
    else:
        raise ValueError(f'not a CPU amount: {value!r} (examples: 2, 0.5, "500m")')
    if millis.denominator != 1:
        raise ValueError(f"{value!r} is finer than a millicore (1m)")
    whole, rest = divmod(int(millis), 1000)
    return str(whole) if rest == 0 else f"{int(millis)}m"
