"""Immutable records: what `@dataclass(frozen=True, slots=True)` makes, at a tenth of the start-up.

    @record
    class Ref(Value):
        node: str
        path: Path = ()

A record has __slots__ for its fields, an __init__ taking them in order
(defaults and `field(default_factory=...)` as dataclasses take them), and
equality, hashing, repr and pickling by its fields; assigning to a field
raises. `replace(r, **changes)` and `fields(r)` work as dataclasses' do.

Why not dataclasses: `fusec check` and `fusec run` of an unchanged file load
the IR's classes on every start. dataclasses compiles five or six methods
per class with exec() (about 0.35 ms a class here) and imports inspect
(about 4 ms); the IR, the diagnostics and the run-time records are some
thirty classes, a third of what `fusec check` costs beyond Python's own
start. Here one small exec per class makes __init__ and the rest is shared.
Type checkers read these classes as dataclasses (PEP 681).
"""
from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A field whose default is made per record (`options: dict = field(default_factory=dict)`)."""
    return _Factory(default_factory)  # type: ignore[return-value]  # replaced by its value in __init__


class Record:
    """The behaviour every record shares: read-only fields, equality, hashing, repr, pickling."""

    __slots__ = ()
    __fields__: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a {type(self).__name__} (records are frozen)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a {type(self).__name__} (records are frozen)")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__fields__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__fields__)
        return f"{type(self).__qualname__}({shown})"

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), self._values()


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """The class as a record: its annotated names, in order, are its fields."""
    names = tuple(cls.__dict__.get("__annotations__", {}))
    defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}
    body = {key: value for key, value in cls.__dict__.items()
            if key not in names and key not in ("__dict__", "__weakref__")}
    inherited = tuple(b for b in cls.__bases__ if b is not object)
    bases = inherited if any(issubclass(b, Record) for b in inherited) else (*inherited, Record)
    body.update(__slots__=names, __fields__=names, __match_args__=names, __init__=_init(cls.__name__, names, defaults),
                _values=_getter(names))
    made = type(cls.__name__, bases, body)
    made.__qualname__ = cls.__qualname__
    return made


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """`_values` for these fields, read by operator.attrgetter (in C): a compiled IR cache entry
    pickles every record of a workflow through it (__reduce__), 30,000 for a 10,000-node file."""
    if len(names) > 1:
        get = attrgetter(*names)

        def values(self: Any) -> tuple[Any, ...]:
            found: tuple[Any, ...] = get(self)
            return found
    elif names:
        get = attrgetter(names[0])

        def values(self: Any) -> tuple[Any, ...]:
            return (get(self),)
    else:
        def values(self: Any) -> tuple[Any, ...]:
            return ()
    return values


def _init(owner: str, names: tuple[str, ...], defaults: dict[str, Any]) -> Callable[..., None]:
    """__init__ for these fields: one exec of a small function, as dataclasses does, but one per class."""
    namespace: dict[str, Any] = {"_set": object.__setattr__}
    params, lines = [], []
    for name in names:
        default = defaults.get(name, _NO_DEFAULT)
        if default is _NO_DEFAULT:
            params.append(name)
        elif isinstance(default, _Factory):
            namespace[f"_make_{name}"] = default.make
            params.append(f"{name}=_FACTORY")
            lines.append(f"    if {name} is _FACTORY: {name} = _make_{name}()")
        else:
            namespace[f"_default_{name}"] = default
            params.append(f"{name}=_default_{name}")
        lines.append(f"    _set(self, {name!r}, {name})")
    namespace["_FACTORY"] = _NO_DEFAULT
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(lines) or "    pass") + "\n"
    exec(source, namespace)  # names are the class's own annotated identifiers, never outside text
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{owner}.__init__"
    return init


_NO_DEFAULT: Any = object()


def replace(item: T, **changes: Any) -> T:
    """A copy of the record with some fields changed (dataclasses.replace)."""
    names = fields(item)
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{type(item).__name__} has no field {sorted(unknown)[0]!r}")
    return type(item)(**{name: changes.get(name, getattr(item, name)) for name in names})


def fields(item: Any) -> tuple[str, ...]:
    """The names of a record's (or a record class's) fields, in order."""
    names: tuple[str, ...] = item.__fields__
    return names
