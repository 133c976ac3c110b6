"""Dask arrays as zarr, for the ``zarr`` serializer.

Saving computes the array chunk by chunk into an in-memory zarr store (only
the compressed chunks are held, never the whole array uncompressed), and the
store's objects become the payload: a table of names and lengths, then each
object 16-byte aligned. Loading gives a lazy Dask array over views of the
record: a chunk is decompressed when a computation needs it. Only a zarr v3
array with plain codecs (CODECS) is opened: zarr itself would follow any
codec the metadata names, numcodecs' pickle among them.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import dask.array as da
import zarr
from zarr.core.buffer import Buffer as ZarrBuffer
from zarr.core.buffer import cpu
from zarr.storage import MemoryStore

from .format import Buffer, aligned

_COUNT = struct.Struct("<I")
_ITEM = struct.Struct("<HQ")


def dump(array: Any) -> list[Buffer]:
    objects: dict[str, ZarrBuffer] = {}
    da.to_zarr(array, MemoryStore(objects), overwrite=True)  # type: ignore[no-untyped-call]  # dask has no annotations
    names = sorted(objects)
    blobs = [objects[name].as_buffer_like() if hasattr(objects[name], "as_buffer_like") else objects[name].to_bytes()
             for name in names]
    head = bytearray(_COUNT.pack(len(names)))
    for name, blob in zip(names, blobs, strict=True):
        head += _ITEM.pack(len(name.encode()), memoryview(blob).nbytes)
    for name in names:
        head += name.encode()
    out: list[Buffer] = [bytes(head)]
    end = len(head)
    for blob in blobs:
        view = memoryview(blob).cast("B")
        out.append(bytes(aligned(end) - end))
        out.append(view)
        end = aligned(end) + len(view)
    return out


# Codecs that only reorder, compress or check bytes: zarr is given no other, so a
# planted record cannot make it unpickle (numcodecs has a pickle codec).
CODECS = frozenset({"bytes", "transpose", "zstd", "gzip", "blosc", "crc32c", "vlen-utf8", "vlen-bytes"})


def check_metadata(objects: dict[str, ZarrBuffer]) -> None:
    """Refuse what dump never writes: other zarr versions, groups, or a codec outside CODECS."""
    extra = [name for name in objects if name != "zarr.json" and (name.rsplit("/", 1)[-1].startswith((".z", "zarr.")))]
    if extra or "zarr.json" not in objects:
        raise ValueError("the zarr record holds metadata fuseflow does not write "
                         f"({', '.join(extra) or 'no zarr.json'})")
    meta = json.loads(bytes(objects["zarr.json"].as_buffer_like()))
    if meta.get("zarr_format") != 3 or meta.get("node_type") != "array":
        raise ValueError("the zarr record is not a zarr v3 array")
    names = [codec.get("name") if isinstance(codec, dict) else codec for codec in meta.get("codecs", [])]
    refused = [name for name in names if name not in CODECS]
    if refused:
        raise ValueError(f"the zarr record uses codec {refused[0]!r}, which fuseflow does not load")


def load(payload: memoryview) -> Any:
    (count,) = _COUNT.unpack_from(payload)
    items = [_ITEM.unpack_from(payload, _COUNT.size + i * _ITEM.size) for i in range(count)]
    pos = _COUNT.size + count * _ITEM.size
    names = []
    for name_len, _ in items:
        names.append(bytes(payload[pos : pos + name_len]).decode())
        pos += name_len
    objects: dict[str, ZarrBuffer] = {}
    for name, (_, size) in zip(names, items, strict=True):
        pos = aligned(pos)
        objects[name] = cpu.Buffer.from_bytes(payload[pos : pos + size])
        pos += size
    check_metadata(objects)
    array = zarr.open_array(MemoryStore(objects), mode="r")
    return da.from_zarr(array)  # type: ignore[no-untyped-call]  # dask has no annotations
