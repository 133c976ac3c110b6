"""CRC32 (zlib's) of large buffers on every core: for records of format version 1.

Format 1 checked a record with a CRC32 of the whole record, and is still
read (format.py). ``zlib.crc32`` runs at about 2 GB/s on one core here, so
a large such record is cut into chunks whose CRCs are computed on helper
threads (zlib releases the GIL), then joined with :func:`combine` (zlib's
``crc32_combine``, which Python does not expose). The result is the plain
CRC32 of the whole.
"""

from __future__ import annotations

import functools
import os
import threading
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

Buffer = bytes | bytearray | memoryview

CHUNK = 8 << 20  # bytes per chunk handed to a helper thread
PARALLEL_MIN = 32 << 20  # below this, one zlib.crc32 call is cheaper than threads
_POLY = 0xEDB88320
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_pool_pid = 0


def _gf2_times(matrix: Sequence[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_compose(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """The operator "apply b, then a"."""
    return tuple(_gf2_times(a, column) for column in b)


@functools.lru_cache(maxsize=64)
def _zeros_operator(nbytes: int) -> tuple[int, ...]:
    """The linear map that appending ``nbytes`` zero bytes applies to a CRC register."""
    step = (_POLY, *(1 << i for i in range(31)))  # one zero bit
    for _ in range(3):
        step = _gf2_compose(step, step)  # 2, 4, 8 bits: one zero byte
    result = tuple(1 << i for i in range(32))  # identity
    while nbytes:
        if nbytes & 1:
            result = _gf2_compose(step, result)
        nbytes >>= 1
        if nbytes:
            step = _gf2_compose(step, step)
    return result


def combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC32 of A+B from crc32(A), crc32(B) and len(B) (zlib's crc32_combine)."""
    if len2 <= 0:
        return crc1 ^ crc2 if crc2 else crc1
    return _gf2_times(_zeros_operator(len2), crc1) ^ crc2


def pool() -> ThreadPoolExecutor:
    """Helper threads for checksums (one per core, at most 4); a fresh pool after fork."""
    global _pool, _pool_pid
    from concurrent.futures import ThreadPoolExecutor  # deferred: large records only (it loads logging)

    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="fuseflow-crc")
            _pool_pid = os.getpid()
        return _pool


def chunks_of(buffers: Sequence[Buffer], size: int = CHUNK) -> list[memoryview]:
    """The buffers cut into views of at most ``size`` bytes, in order (no copies)."""
    out = []
    for buf in buffers:
        view = memoryview(buf).cast("B") if not isinstance(buf, (bytes, bytearray)) else memoryview(buf)
        for start in range(0, len(view), size):
            out.append(view[start : start + size])
    return out


def crc_chunks_async(chunks: Sequence[memoryview]) -> list[Future[int]]:
    """Start computing each chunk's CRC32 on the helper threads."""
    submit = pool().submit
    return [submit(zlib.crc32, chunk) for chunk in chunks]


def join(start: int, chunks: Sequence[memoryview], futures: Sequence[Future[int]]) -> int:
    """CRC32 of (what ``start`` covers) + all chunks, from the per-chunk CRCs (one per chunk)."""
    crc = start
    for chunk, future in zip(chunks, futures, strict=True):
        crc = combine(crc, future.result(), len(chunk))
    return crc


def crc32(buffers: Sequence[Buffer], start: int = 0) -> int:
    """CRC32 of the concatenated buffers, continuing from ``start``: large ones on every core."""
    if sum(map(len, buffers)) < PARALLEL_MIN:
        for buf in buffers:
            start = zlib.crc32(buf, start)
        return start
    chunks = chunks_of(buffers)
    return join(start, chunks, crc_chunks_async(chunks))
