"""Serializers: how a value becomes a payload, chosen by the value's type.

A record names the serializer that wrote it, and is read back by that one.
Choosing is cheap on the hot path: a serializer declares the top-level
modules of the types it may claim (``numpy`` for ``npy``), so a plain dict or
int is asked of ``json`` alone, and no optional library (numpy, pandas, ...)
is imported unless a value already comes from it or a record says so.

Only ``pickle`` runs code when it loads: every other serializer reads data
(``npy`` with ``allow_pickle=False``, ``zarr`` with a fixed list of codecs).

Built in: ``pickle`` (the fallback), ``json`` (plain values), ``npy`` (numpy arrays), ``parquet``
(pandas DataFrames, when pyarrow is installed) and ``zarr`` (Dask arrays,
when dask and zarr are installed). Plugins are found through the entry-point
group ``fuseflow.serializers`` (each entry a Serializer subclass or instance),
loaded once, and only when a value comes from a module other than
``builtins`` or a record names a serializer not known yet::

    [project.entry-points."fuseflow.serializers"]
    arrow = "my_package.serializers:ArrowSerializer"
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import struct
import threading
import warnings
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


class JsonSerializer(Serializer):
    """Plain values as JSON text: None, bool, int, float, str, and lists and str-keyed dicts of them.

    Loading JSON runs no code, whoever wrote the record; pickle would run
    whatever the bytes say. Only values that JSON gives back exactly are
    taken: no tuples, no dicts with other keys, no container met twice (a
    shared list stays shared, a cycle stays a cycle: both go to pickle).
    """

    name = "json"
    modules = frozenset({"builtins"})
    MAX_DEPTH = 100  # deeper values go to pickle (JSON's C code recurses)
    MAX_INT_BITS = 13_000  # about 3,900 digits: Python's int-to-text limit is 4,300

    def accepts(self, value: Any) -> bool:
        return _plain(value, self.MAX_DEPTH, self.MAX_INT_BITS)

    _ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)  # accepts() saw no cycle

    def dump(self, value: Any) -> list[Buffer]:
        return [self._ENCODER.encode(value).encode("ascii")]

    def load(self, payload: memoryview) -> Any:
        return json.loads(bytes(payload))


_SCALARS = frozenset({str, bool, float, type(None)})
_WHOLE = frozenset({int, bool})
_STR = frozenset({str})


def _plain(value: Any, max_depth: int, max_int_bits: int) -> bool:
    """Whether JSON writes ``value`` and reads it back equal, of the same types, with the same sharing.

    Walked level by level; a container of scalars only is checked at C speed.
    """
    seen: set[int] = set()
    level = [value]
    for _ in range(max_depth):
        below: list[Any] = []
        for item in level:
            kind = type(item)
            if kind in _SCALARS or kind is int and item.bit_length() <= max_int_bits:
                continue
            if kind not in (list, dict) or id(item) in seen:
                return False
            seen.add(id(item))
            if kind is dict:
                if not set(map(type, item)) <= _STR:
                    return False
                item = item.values()
            kinds = set(map(type, item))
            if not (kinds <= _SCALARS or kinds <= _WHOLE and max(map(int.bit_length, item)) <= max_int_bits):
                below.extend(item)
        if not below:
            return True
        level = below
    return False


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
        from . import npy  # optional: imports numpy, only for an array

        return npy.dump(value)

    def load(self, payload: memoryview) -> Any:
        from . import npy  # optional: imports numpy, only for an array

        return npy.load(payload)


class ParquetSerializer(Serializer):
    """pandas DataFrames as Parquet (pyarrow): compact, typed, readable by any Arrow tool.

    Only exact DataFrames, and only when pyarrow is installed; a frame that
    Arrow cannot represent (columns of arbitrary Python objects) is pickled.
    """

    name = "parquet"
    modules = frozenset({"pandas"})

    def accepts(self, value: Any) -> bool:
        import pandas as pd  # already imported: asked only for a value from pandas (``modules``)

        return type(value) is pd.DataFrame and _installed("pyarrow")

    def dump(self, value: Any) -> list[Buffer]:
        from . import parquet  # optional: imports pandas and pyarrow, only for a DataFrame

        return parquet.dump(value)

    def load(self, payload: memoryview) -> Any:
        from . import parquet  # optional: imports pandas and pyarrow, only for a DataFrame

        return parquet.load(payload)


class ZarrSerializer(Serializer):
    """Dask arrays as zarr: written chunk by chunk, loaded lazily (dask and zarr installed)."""

    name = "zarr"
    modules = frozenset({"dask"})

    def accepts(self, value: Any) -> bool:
        import dask.array as da  # already imported: asked only for a value from dask (``modules``)

        return type(value) is da.Array and _installed("zarr")

    def dump(self, value: Any) -> list[Buffer]:
        from . import daskzarr  # optional: imports dask and zarr, only for a dask array

        return daskzarr.dump(value)

    def load(self, payload: memoryview) -> Any:
        from . import daskzarr  # optional: imports dask and zarr, only for a dask array

        return daskzarr.load(payload)


_found: dict[str, bool] = {}


def _installed(module: str) -> bool:
    if module not in _found:
        _found[module] = importlib.util.find_spec(module) is not None
    return _found[module]


ENTRY_POINT_GROUP = "fuseflow.serializers"


class SerializerRegistry:
    """Serializers by name, and the rule that picks one for a value."""

    def __init__(self, fallback: Serializer, *, plugins: bool = False) -> None:
        self.fallback = fallback
        self._by_name: dict[str, Serializer] = {fallback.name: fallback}
        self._by_module: dict[str, list[Serializer]] = {}
        self._plugins_pending = plugins
        self._lock = threading.Lock()

    def register(self, serializer: Serializer) -> None:
        """Add ``serializer``; a later registration for a module is asked first."""
        if isinstance(serializer, type):
            serializer = serializer()
        if serializer.name in self._by_name:
            raise ValueError(f"a serializer named {serializer.name!r} is already registered")
        self._by_name[serializer.name] = serializer
        for module in serializer.modules:
            self._by_module.setdefault(module, []).insert(0, serializer)

    def get(self, name: str) -> Serializer:
        """The serializer that wrote a record; KeyError when none is installed."""
        found = self._by_name.get(name)
        if found is None and self._plugins_pending:
            self.load_plugins()
            found = self._by_name.get(name)
        if found is None:
            raise KeyError(f"no serializer named {name!r} is installed (known: {', '.join(self.names())})")
        return found

    def choose(self, value: Any) -> Serializer:
        """The serializer for ``value``: the first of its module's that accepts it, else pickle.

        Plugins are not loaded for builtin types: the built-in ``json`` takes the plain ones.
        """
        module = type(value).__module__.partition(".")[0]
        if module != "builtins" and self._plugins_pending:
            self.load_plugins()
        for serializer in self._by_module.get(module, ()):
            if serializer.accepts(value):
                return serializer
        return self.fallback

    def dump(self, value: Any) -> tuple[Serializer, list[Buffer]]:
        """(serializer, payload buffers); pickle when the chosen one cannot take this value."""
        serializer = self.choose(value)
        if serializer is self.fallback:
            return serializer, serializer.dump(value)
        try:
            return serializer, serializer.dump(value)
        except Exception as exc:
            warnings.warn(f"serializer {serializer.name!r} could not write a {type(value).__name__} "
                          f"({type(exc).__name__}: {exc}); pickling it instead", RuntimeWarning, stacklevel=3)
            return self.fallback, self.fallback.dump(value)

    def load_plugins(self) -> None:
        """Register the serializers of the ``fuseflow.serializers`` entry points, once."""
        with self._lock:
            if not self._plugins_pending:
                return
            self._plugins_pending = False
            from importlib.metadata import entry_points  # deferred: slow to import; plugins are looked up once

            for entry in entry_points(group=ENTRY_POINT_GROUP):
                try:
                    self.register(entry.load())
                except Exception as exc:  # a broken plugin must not break every run
                    warnings.warn(f"fuseflow serializer plugin {entry.name!r} ({entry.value}) could not be loaded: "
                                  f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=2)

    def names(self) -> list[str]:
        return sorted(self._by_name)


def default_registry(plugins: bool = True) -> SerializerRegistry:
    """A registry with the built-in serializers (pickle, json, npy, parquet, zarr) and, lazily, the plugins."""
    registry = SerializerRegistry(PickleSerializer(), plugins=plugins)
    for serializer in (JsonSerializer(), NpySerializer(), ParquetSerializer(), ZarrSerializer()):
        registry.register(serializer)
    return registry


REGISTRY = default_registry()
register = REGISTRY.register
