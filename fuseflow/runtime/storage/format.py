"""The on-disk record format: a fixed header, the serializer's name, then the payload.

One record holds one node result::

    offset  size  field
    0       4     magic b"FFR\\x1a"
    4       1     format version (1)
    5       1     n = length of the serializer name
    6       2     reserved, zero
    8       8     payload length, little-endian
    16      4     CRC32 (zlib.crc32) of bytes 0-15 and of everything after byte 19
    20      n     serializer name, ASCII
    20+n    pad   zeros up to a multiple of 16, so array data in the payload is aligned
    ...     len   payload

Version 2, for large payloads only: byte 6 is the checksum kind (1), a
4-byte digest of the payload (blocksum.py: CRC32 of per-64 KiB-block word
sums, computed at memory speed) follows the name, and the CRC at 16 covers
bytes 0-15 and the rest of the header only.

Why a header rather than functionfuse's trailing sha1: the reader knows the
payload length before it trusts anything, so a truncated file is caught by a
length comparison, and a flipped bit anywhere (header included) by the CRC.
CRC32 runs at several GB/s; a small record costs well under a microsecond.
Later format versions keep the meaning of the first 20 bytes, so an old reader
can tell "newer than me" (intact, left alone) from "damaged" (discarded).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

MAGIC = b"FFR\x1a"
VERSION = 1
BLOCKSUM_VERSION = 2  # large payloads: the CRC covers the header, which holds the payload's block-sum digest
BLOCKSUM_KIND = 1
SUFFIX = ".ffr"
ALIGN = 16

_PREFIX = struct.Struct("<4sBBxxQ")
_PREFIX_V2 = struct.Struct("<4sBBBxQ")  # magic, version, name length, checksum kind, payload length
_CRC = struct.Struct("<I")
FIXED_SIZE = _PREFIX.size + _CRC.size  # 20
PEEK_SIZE = FIXED_SIZE + 255  # enough to read any serializer name

Buffer = bytes | bytearray | memoryview


class CorruptRecord(ValueError):
    """The record is truncated or damaged: it must not be loaded, only recomputed."""


class UnreadableRecord(ValueError):
    """The record is intact but this fuseflow cannot read it (e.g. a newer format)."""


def aligned(n: int) -> int:
    """Round ``n`` up to a multiple of ALIGN."""
    return (n + ALIGN - 1) & -ALIGN


def encode_header(name: str, buffers: Sequence[Buffer]) -> bytes:
    """The header for a payload made of ``buffers`` (written after it, uncopied).

    Each buffer is bytes-like with one byte per item (``len`` is its size).
    """
    prefix, tail = header_parts(name, sum(map(len, buffers)))
    crc = zlib.crc32(tail, zlib.crc32(prefix))
    for buf in buffers:
        crc = zlib.crc32(buf, crc)
    return finish_header(prefix, tail, crc)


def header_parts(name: str, length: int) -> tuple[bytes, bytes]:
    """(bytes 0-15, bytes from 20 to the payload) of a header: what the CRC starts with.

    Writers of large payloads checksum the payload while writing it and put
    the CRC in last (``finish_header``); the header size is known up front.
    """
    raw = name.encode("ascii")
    if not 0 < len(raw) < 256:
        raise ValueError(f"serializer name must be 1-255 ASCII characters: {name!r}")
    prefix = _PREFIX.pack(MAGIC, VERSION, len(raw), length)
    return prefix, raw + bytes(aligned(FIXED_SIZE + len(raw)) - FIXED_SIZE - len(raw))


def finish_header(prefix: bytes, tail: bytes, crc: int) -> bytes:
    return prefix + _CRC.pack(crc) + tail


def header_size(name: str) -> int:
    """Bytes before the payload in a record written by serializer ``name``."""
    return aligned(FIXED_SIZE + len(name.encode("ascii")))


def blocksum_header(name: str, length: int, digest: int) -> bytes:
    """A version-2 header: its CRC covers the header, whose ``digest`` covers the payload (blocksum.py)."""
    raw = name.encode("ascii")
    if not 0 < len(raw) < 256:
        raise ValueError(f"serializer name must be 1-255 ASCII characters: {name!r}")
    prefix = _PREFIX_V2.pack(MAGIC, BLOCKSUM_VERSION, len(raw), BLOCKSUM_KIND, length)
    body = raw + _CRC.pack(digest)
    tail = body + bytes(aligned(FIXED_SIZE + len(body)) - FIXED_SIZE - len(body))
    return prefix + _CRC.pack(zlib.crc32(tail, zlib.crc32(prefix))) + tail


def blocksum_header_size(name: str) -> int:
    return aligned(FIXED_SIZE + len(name.encode("ascii")) + _CRC.size)


def decode(record: Buffer) -> tuple[str, memoryview]:
    """Check a whole record and return (serializer name, payload view).

    Raises CorruptRecord when it is truncated or damaged, UnreadableRecord
    when it is intact but written in a format version this code does not know.
    """
    magic, version, nlen, length = _header_fields(record)
    if version == BLOCKSUM_VERSION:
        return _decode_blocksum(memoryview(record), nlen, length)
    start = aligned(FIXED_SIZE + nlen)
    _check_length(len(record), start + length)
    view = memoryview(record)
    if _crc_of(view) != _CRC.unpack_from(view, 16)[0]:
        raise CorruptRecord("checksum mismatch (the file is damaged)")
    if version != VERSION:
        raise UnreadableRecord(f"record format version {version} is newer than this fuseflow reads")
    return bytes(view[FIXED_SIZE : FIXED_SIZE + nlen]).decode("ascii", "replace"), view[start:]


def _decode_blocksum(view: memoryview, nlen: int, length: int) -> tuple[str, memoryview]:
    start = aligned(FIXED_SIZE + nlen + _CRC.size)
    if len(view) < start:
        raise CorruptRecord(f"truncated: {len(view)} bytes, inside the {start}-byte header")
    if zlib.crc32(view[FIXED_SIZE:start], zlib.crc32(view[:16])) != _CRC.unpack_from(view, 16)[0]:
        raise CorruptRecord("checksum mismatch in the header (the file is damaged)")
    _check_length(len(view), start + length)
    if view[6] != BLOCKSUM_KIND:
        raise UnreadableRecord(f"record checksum kind {view[6]} is newer than this fuseflow reads")
    try:
        from . import blocksum
    except ImportError:
        raise UnreadableRecord("checking this large record needs numpy, which is not installed") from None
    if blocksum.digest([view[start:]]) != _CRC.unpack_from(view, FIXED_SIZE + nlen)[0]:
        raise CorruptRecord("checksum mismatch (the file is damaged)")
    return bytes(view[FIXED_SIZE : FIXED_SIZE + nlen]).decode("ascii", "replace"), view[start:]


def _crc_of(view: memoryview) -> int:
    head = zlib.crc32(view[:16])
    if len(view) < 1 << 25:
        return zlib.crc32(view[FIXED_SIZE:], head)
    from . import crc  # large records: checksummed on all cores

    return crc.crc32([view[FIXED_SIZE:]], head)


def _header_fields(record: Buffer) -> tuple[bytes, int, int, int]:
    if len(record) < FIXED_SIZE:
        raise CorruptRecord(f"truncated: {len(record)} bytes, shorter than the {FIXED_SIZE}-byte header")
    fields = _PREFIX.unpack_from(record)
    if fields[0] != MAGIC:
        raise CorruptRecord("not a fuseflow record (bad magic bytes)")
    return fields


def _check_length(actual: int, expected: int) -> None:
    if actual < expected:
        raise CorruptRecord(f"truncated: {actual} of {expected} bytes")
    if actual > expected:
        raise CorruptRecord(f"{actual - expected} unexpected bytes after the payload")


def peek_serializer(head: Buffer) -> str:
    """The serializer name from the first PEEK_SIZE bytes of a record, unchecked.

    Listing uses this to avoid reading whole payloads; "?" when unrecognisable.
    """
    try:
        _, _, nlen, _ = _header_fields(head)
    except CorruptRecord:
        return "?"
    name = bytes(head[FIXED_SIZE : FIXED_SIZE + nlen])
    return name.decode("ascii", "replace") if len(name) == nlen else "?"
