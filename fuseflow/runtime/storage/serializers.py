"""Serializers: how a value becomes a payload, chosen by the value's type.

A record names the serializer that wrote it, and is read back by that one.
Choosing is cheap on the hot path: a serializer declares the top-level
modules of the types it may claim (``numpy`` for ``npy``), so a plain dict or
int goes straight to the ``pickle`` fallback without asking anyone, and no
optional library (numpy, pandas, ...) is imported unless a value already
comes from it or a record says so.

Later serializers (parquet, zarr, entry-point plugins in the
``fuseflow.serializers`` group) register the same way; a plugin loader would
hook into :meth:`SerializerRegistry.get` for names it does not know yet.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Iterable
from typing import Any

from .format import Buffer, aligned


class Serializer:
    """Base class: subclasses set ``name`` and ``modules`` and implement dump/load.

    ``dump`` returns the payload as a list of bytes-like buffers (bytes, or
    memoryviews of format "B"), written one after another without joining, so
    a large array is never copied into one big bytes object.
    ``load`` gets a writable memoryview of the payload; it may return objects
    that share that memory (it belongs to the loaded value alone).
    """

    name: str = ""
    modules: frozenset[str] = frozenset()

    def accepts(self, value: Any) -> bool:
        """Whether this serializer takes ``value`` (asked only for values from ``modules``)."""
        return True

    def dump(self, value: Any) -> list[Buffer]:
        raise NotImplementedError

    def load(self, payload: memoryview) -> Any:
        raise NotImplementedError


class PickleSerializer(Serializer):
    """The fallback: pickle protocol 5, large buffers kept out of band.

    Payload: u32 buffer count k, u64 pickle length, k x u64 buffer lengths,
    the pickle stream, then each out-of-band buffer starting on a 16-byte
    boundary. Numpy arrays inside dicts or lists thus cost no extra copy on
    save and come back as aligned, writable views of the record on load.
    """

    name = "pickle"
    _FRAME = struct.Struct("<IQ")

    def dump(self, value: Any) -> list[Buffer]:
        extra: list[memoryview] = []
        data = pickle.dumps(value, protocol=5, buffer_callback=lambda b: extra.append(b.raw()))
        if not extra:
            return [self._FRAME.pack(0, len(data)), data]
        return self._framed(data, extra)

    def _framed(self, data: bytes, extra: list[memoryview]) -> list[Buffer]:
        head = self._FRAME.pack(len(extra), len(data)) + struct.pack(f"<{len(extra)}Q", *map(len, extra))
        out: list[Buffer] = [head, data]
        end = len(head) + len(data)
        for buf in extra:
            out.append(bytes(aligned(end) - end))
            out.append(buf)
            end = aligned(end) + len(buf)
        return out

    def load(self, payload: memoryview) -> Any:
        count, size = self._FRAME.unpack_from(payload)
        if not count:
            return pickle.loads(payload[self._FRAME.size :])
        lengths = struct.unpack_from(f"<{count}Q", payload, self._FRAME.size)
        start = self._FRAME.size + 8 * count
        return pickle.loads(payload[start : start + size], buffers=_slices(payload, start + size, lengths))


def _slices(payload: memoryview, end: int, lengths: Iterable[int]) -> list[memoryview]:
    """The out-of-band buffers laid out by PickleSerializer._framed."""
    out = []
    for n in lengths:
        start = aligned(end)
        out.append(payload[start : start + n])
        end = start + n
    return out


class NpySerializer(Serializer):
    """numpy ndarrays in the ``.npy`` format (np.save/np.load, no pickles inside).

    Only exact ``ndarray`` instances without object fields: subclasses (masked
    arrays, matrices) and object arrays go to pickle, which keeps them intact.
    The array data is written straight from the array's memory and loaded as
    a writable view of the record, so neither direction copies it again.
    """

    name = "npy"
    modules = frozenset({"numpy"})

    def accepts(self, value: Any) -> bool:
        import numpy as np  # already imported: the value's type comes from numpy

        return type(value) is np.ndarray and not value.dtype.hasobject

    def dump(self, value: Any) -> list[Buffer]:
        from . import npy

        return npy.dump(value)

    def load(self, payload: memoryview) -> Any:
        from . import npy

        return npy.load(payload)


class SerializerRegistry:
    """Serializers by name, and the rule that picks one for a value."""

    def __init__(self, fallback: Serializer) -> None:
        self.fallback = fallback
        self._by_name: dict[str, Serializer] = {fallback.name: fallback}
        self._by_module: dict[str, list[Serializer]] = {}

    def register(self, serializer: Serializer) -> None:
        """Add ``serializer``; a later registration for a module is asked first."""
        if serializer.name in self._by_name:
            raise ValueError(f"a serializer named {serializer.name!r} is already registered")
        self._by_name[serializer.name] = serializer
        for module in serializer.modules:
            self._by_module.setdefault(module, []).insert(0, serializer)

    def get(self, name: str) -> Serializer:
        """The serializer that wrote a record; KeyError when none is installed."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no serializer named {name!r} is installed (known: {', '.join(self.names())})") from None

    def choose(self, value: Any) -> Serializer:
        """The serializer for ``value``: the first of its module's that accepts it, else pickle."""
        module = type(value).__module__.partition(".")[0]
        for serializer in self._by_module.get(module, ()):
            if serializer.accepts(value):
                return serializer
        return self.fallback

    def names(self) -> list[str]:
        return sorted(self._by_name)


def default_registry() -> SerializerRegistry:
    """A registry with the built-in serializers: pickle (fallback) and npy."""
    registry = SerializerRegistry(PickleSerializer())
    registry.register(NpySerializer())
    return registry


REGISTRY = default_registry()
register = REGISTRY.register
