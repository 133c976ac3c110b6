"""Names KFP accepts, made from fuseflow's: task and pipeline names (`k8s_name`), input names
(`input_name`), each made unique where it must be (`unique`)."""
from __future__ import annotations

import keyword
import re
import unicodedata
from typing import Any


def k8s_name(text: str, fallback: str = "node") -> str:
    """Lowercase letters, digits and '-', as KFP wants task and pipeline names."""
    return _K8S_NAME.sub("-", text.lower()).strip("-") or fallback


_K8S_NAME = re.compile(r"[^a-z0-9]+")


def unique(name: str, taken: set[str], sep: str = "-") -> str:
    """`name`, or `name-2`, `name-3`, ... : the first one not taken (then taken)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{sep}{n}"
    taken.add(candidate)
    return candidate


_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_]+")
MAX_NAME = 64  # a long dict key or index still gives a name a reader can take in


def input_name(*parts: Any) -> str:
    """An input's name from what it carries, its parts joined by `_`: ASCII letters,
    digits and `_`, starting with a letter, no Python keyword. The name is a parameter
    of the step's Python function (kfp's executor passes inputs by name), a key
    kfp.local splits placeholders on `.` and `'` to read, and a name no program name
    (`_SPEC`, ...) can be. Any other character becomes `_`; the caller makes it unique.

        >>> input_name("parts", "X_train"), input_name("acc", "moons", "knn"), input_name("x", "{{$}}", "é")
        ('parts_X_train', 'acc_moons_knn', 'x_e')
    """
    words = (_NOT_IN_NAME.sub("_", _ascii(str(part))).strip("_") for part in parts)
    name = "_".join(word for word in words if word)[:MAX_NAME].rstrip("_")
    if not name[:1].isalpha():
        name = "input_" + name if name else "input"
    return name + "_" if keyword.iskeyword(name) else name


def _ascii(text: str) -> str:
    """`text` with accents taken off letters (`données` -> `donnees`); other characters stay."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
