"""Faster construction of frozen dataclasses, for the front end's many small objects.

A frozen dataclass's __init__ stores each field with object.__setattr__, which
makes a Span or an ir.Node three times as slow to build as it needs to be:

    make_span = frozen_constructor(Span)
    make_span(1, 5, 1, 9) == Span(1, 5, 1, 9)   # same class, fields, eq, hash, repr
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable


def frozen_constructor(cls: type) -> Callable[..., Any]:
    """A function with the signature of `cls.__init__` that fills the instance's
    __dict__ in one step. The class itself when its __init__ does more than
    store fields (__post_init__, init=False fields, __slots__)."""
    fields = dataclasses.fields(cls)
    if "__slots__" in vars(cls) or hasattr(cls, "__post_init__") or not all(f.init for f in fields) \
            or any(f.kw_only for f in fields):
        return cls
    namespace: dict[str, Any] = {"new": object.__new__, "set_dict": object.__setattr__, "cls": cls,
                                 "MISSING": dataclasses.MISSING}
    params, lines = [], []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            namespace[f"default_{f.name}"] = f.default
            params.append(f"{f.name}=default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            lines.append(f"    if {f.name} is MISSING:\n        {f.name} = factory_{f.name}()\n")
        else:
            params.append(f.name)
    values = ", ".join(f"{f.name!r}: {f.name}" for f in fields)
    source = (f"def make({', '.join(params)}):\n" + "".join(lines)
              + f"    obj = new(cls)\n    set_dict(obj, '__dict__', {{{values}}})\n    return obj\n")
    exec(source, namespace)  # noqa: S102 - a fixed template over the dataclass's field names
    make = namespace["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return make
