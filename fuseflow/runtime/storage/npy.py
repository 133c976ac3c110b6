"""numpy arrays as ``.npy`` payloads, without copying the array data.

Imported only when a value is a numpy ndarray or a record says ``npy``, so
the runtime needs numpy only for workflows whose results are numpy arrays.
The payload is exactly what ``np.save`` writes; the fast paths below build
its header with numpy's own functions and then hand over the array's memory
(on save) or view the record's memory (on load) instead of copying it.
"""

from __future__ import annotations

import io
import math

import numpy as np
from numpy.lib import format as npformat

from .format import Buffer

_MAGIC = b"\x93NUMPY"
_FAST_VERSIONS = {(1, 0): 2, (2, 0): 4}  # version -> size of the header-length field


def dump(array: np.ndarray) -> list[Buffer]:
    """The npy payload as [header, data]; np.save's own bytes for rare dtypes."""
    try:
        return [_header(array), _data(array)]
    except (ValueError, TypeError):  # e.g. non-latin-1 field names, zero-size items
        out = io.BytesIO()
        np.save(out, array, allow_pickle=False)
        return [out.getbuffer()]


def _header(array: np.ndarray) -> bytes:
    fields = npformat.header_data_from_array_1_0(array)
    out = io.BytesIO()
    try:
        npformat.write_array_header_1_0(out, fields)
    except ValueError:  # header over 64 KiB (very wide structured dtypes)
        out = io.BytesIO()
        npformat.write_array_header_2_0(out, fields)
    return out.getvalue()


def _data(array: np.ndarray) -> memoryview:
    """The array's bytes in the order the header promises (copied only if strided)."""
    if array.flags.f_contiguous and not array.flags.c_contiguous:
        array = array.T
    flat = np.ascontiguousarray(array).reshape(-1)
    return flat.view(np.uint8).data  # memoryview(array): numpy types __buffer__ only from Python 3.12


def load(payload: memoryview) -> np.ndarray:
    """The array stored in ``payload``, as a view of it when the layout allows."""
    version = (payload[6], payload[7]) if len(payload) >= 8 else None
    if bytes(payload[:6]) != _MAGIC or version not in _FAST_VERSIONS:
        saved: np.ndarray = np.load(io.BytesIO(payload), allow_pickle=False)
        return saved
    start, (shape, fortran, dtype) = _read_header(payload, version)
    if dtype.hasobject:
        raise ValueError("the npy record holds Python objects; refusing to unpickle it")
    array = _view(payload, start, shape, fortran, dtype)
    return array if array.flags.aligned else array.copy()


def _read_header(payload: memoryview, version: tuple[int, int]) -> tuple[int, tuple[tuple[int, ...], bool, np.dtype]]:
    size = _FAST_VERSIONS[version]
    start = 8 + size + int.from_bytes(payload[8 : 8 + size], "little")
    head = io.BytesIO(bytes(payload[:start]))
    npformat.read_magic(head)
    reader = npformat.read_array_header_1_0 if version == (1, 0) else npformat.read_array_header_2_0
    return start, reader(head, max_header_size=start)


def _view(payload: memoryview, start: int, shape: tuple[int, ...], fortran: bool, dtype: np.dtype) -> np.ndarray:
    count = math.prod(shape)
    if count * dtype.itemsize != len(payload) - start:
        raise ValueError(f"npy payload holds {len(payload) - start} data bytes, expected {count * dtype.itemsize}")
    if count == 0:
        return np.empty(shape, dtype, order="F" if fortran else "C")
    flat = np.frombuffer(payload, dtype=dtype, count=count, offset=start)
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
