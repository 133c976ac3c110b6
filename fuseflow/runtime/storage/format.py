"""The on-disk record format: a fixed header, the serializer's name, a digest, then the payload.

One record holds one node result::

    offset  size  field
    0       4     magic b"FFR\\x1a"
    4       1     format version (3)
    5       1     n = length of the serializer name
    6       1     check: 2 the digest is XXH3-128, 3 it is a keyed BLAKE3 signature
    7       1     h = the header's size in units of 16 bytes (the payload starts at 16h)
    8       8     payload length, little-endian
    16      4     CRC32 (zlib.crc32) of bytes 0-15 and 20 to 16h: the header's own check
    20      n     serializer name, ASCII
    20+n    d     digest: 16 bytes (XXH3-128) or 32 (keyed BLAKE3)
            pad   zeros up to 16h, so array data in the payload is aligned
    16h     len   payload

The digest covers the record's address when it has one (workflow, node and
key in a store: a record copied to another address fails), bytes 0-15, the
name, and every byte of the payload. XXH3-128 runs at memory speed (12 GB/s
here) and, unlike the block sums of version 2, changes with any reordering
of the data. With a storage key (signing.py) the digest is a keyed BLAKE3
(6 GB/s on one core), which only a holder of the key can compute: a reader
with a key loads nothing else, and checks it before any serializer runs.

Why a header rather than functionfuse's trailing sha1: the reader knows the
payload length before it trusts anything, so a truncated file is caught by a
length comparison. Later format versions keep the meaning of the first 20
bytes and of byte 7, so a reader can tell "newer than me" (intact, left
alone) from "damaged" (discarded) by the header's CRC.

Older versions: version 1 (CRC32 of the whole record) is still read, without
a key; version 2 (CRC32 of 64 KiB-block word sums, blind to data reordered
inside a block) is refused as unreadable, so its result is computed again.
"""

from __future__ import annotations

import hmac
import struct
import zlib
from collections.abc import Sequence
from typing import Protocol

import xxhash

from . import crc, signing
from .crc import Buffer as Buffer  # re-exported: the bytes-like type every serializer writes

MAGIC = b"FFR\x1a"
VERSION = 3
LEGACY_CRC_VERSION = 1  # CRC32 of the whole record: still read without a key
BLOCKSUM_VERSION = 2  # the block-sum checksum: refused
HASHED, SIGNED = 2, 3  # byte 6: what the digest is
DIGEST_SIZE = {HASHED: 16, SIGNED: 32}
SUFFIX = ".ffr"
ALIGN = 16

_PREFIX = struct.Struct("<4sBBBBQ")  # magic, version, name length, check, header size / 16, payload length
_CRC = struct.Struct("<I")
_CONTEXT_LENGTH = struct.Struct("<I")
FIXED_SIZE = _PREFIX.size + _CRC.size  # 20
PEEK_SIZE = FIXED_SIZE + 255  # enough to read any serializer name



class CorruptRecord(ValueError):
    """The record is truncated or damaged: it must not be loaded, only recomputed."""


class UnreadableRecord(ValueError):
    """The record is intact but this fuseflow cannot read it (e.g. a newer format)."""


class UntrustedRecord(UnreadableRecord):
    """This reader has a storage key and the record is not signed: it is never deserialized."""


def aligned(n: int) -> int:
    """Round ``n`` up to a multiple of ALIGN."""
    return (n + ALIGN - 1) & -ALIGN


class Digest(Protocol):
    """A record's digest as it is computed: XXH3-128, or a keyed BLAKE3 (signing.signer)."""

    def update(self, data: Buffer, /) -> object: ...

    def digest(self) -> bytes: ...


def address(workflow: str, node: str, key: str) -> bytes:
    """The context a stored record's digest covers (names never hold NUL: names.check_name)."""
    return f"{workflow}\0{node}\0{key}".encode()


class Seal:
    """The header of one record, its digest fed with the payload piece by piece.

    Writers of large payloads write a placeholder of ``size`` bytes, feed
    the payload to ``update`` while writing it, and put ``header()`` last.
    """

    def __init__(self, name: str, length: int, context: bytes = b"") -> None:
        raw = name.encode("ascii")
        if not 0 < len(raw) < 256:
            raise ValueError(f"serializer name must be 1-255 ASCII characters: {name!r}")
        key = signing.storage_key()
        self.check = SIGNED if key is not None else HASHED
        self.size = aligned(FIXED_SIZE + len(raw) + DIGEST_SIZE[self.check])
        self.prefix = _PREFIX.pack(MAGIC, VERSION, len(raw), self.check, self.size // ALIGN, length)
        self.name = raw
        self.digest = _digester(key, context, self.prefix, raw)

    def update(self, buf: Buffer) -> None:
        """Feed the next bytes of the payload (any thread; the hash runs without the GIL)."""
        self.digest.update(buf)

    def header(self) -> bytes:
        """The header, once the whole payload went through ``update``."""
        body = self.name + self.digest.digest()
        tail = body + bytes(self.size - FIXED_SIZE - len(body))
        return self.prefix + _CRC.pack(zlib.crc32(tail, zlib.crc32(self.prefix))) + tail


def _digester(key: bytes | None, context: bytes, prefix: Buffer, name: Buffer) -> Digest:
    """The record's hasher, already fed the address, bytes 0-15 and the name: a keyed
    BLAKE3 with a storage key (check SIGNED), else XXH3-128 (check HASHED)."""
    digest: Digest = signing.signer(key) if key is not None else xxhash.xxh3_128()
    digest.update(_CONTEXT_LENGTH.pack(len(context)) + context)
    digest.update(prefix)
    digest.update(name)
    return digest


def encode_header(name: str, buffers: Sequence[Buffer], context: bytes = b"") -> bytes:
    """The header for a payload made of ``buffers`` (written after it, uncopied).

    Each buffer is bytes-like with one byte per item (``len`` is its size).
    """
    seal = Seal(name, sum(map(len, buffers)), context)
    for buf in buffers:
        seal.update(buf)
    return seal.header()


def decode(record: Buffer, context: bytes = b"") -> tuple[str, memoryview]:
    """Check a whole record and return (serializer name, payload view); nothing is deserialized.

    Raises CorruptRecord when it is truncated or damaged (or, with a storage
    key, wrongly signed), UntrustedRecord when this reader has a key and the
    record is not signed, UnreadableRecord when it is intact but cannot be
    read here (a newer or retired format version, signed while this reader
    has no key). ``context``: the address the record was stored at.
    """
    view = memoryview(record)
    _, version, nlen, check, units, length = _header_fields(view)
    if version == LEGACY_CRC_VERSION:
        return _decode_legacy(view, nlen, length)
    start = aligned(FIXED_SIZE + nlen + 4) if version == BLOCKSUM_VERSION else units * ALIGN
    _check_header(view, nlen, start)
    if version == BLOCKSUM_VERSION:
        raise UnreadableRecord("record format version 2 is no longer read: its checksum cannot tell reordered data")
    if version != VERSION:
        raise UnreadableRecord(f"record format version {version} is newer than this fuseflow reads")
    _check_length(len(view), start + length)
    stored = _stored_digest(view, nlen, check, start)
    digest = _digester(_key_for(check), context, view[:16], view[FIXED_SIZE : FIXED_SIZE + nlen])
    digest.update(view[start:])
    if not hmac.compare_digest(digest.digest(), stored):
        raise CorruptRecord(_MISMATCH[check])
    return _name(view, nlen), view[start:]


_MISMATCH = {
    HASHED: "checksum mismatch (the file is damaged)",
    SIGNED: "signature mismatch (the record is damaged or was altered, or it was signed with another storage key)",
}


def _stored_digest(view: memoryview, nlen: int, check: int, start: int) -> bytes:
    size = DIGEST_SIZE.get(check)
    if size is None:
        raise UnreadableRecord(f"record check kind {check} is newer than this fuseflow reads")
    if FIXED_SIZE + nlen + size > start:
        raise CorruptRecord("the header's size field is damaged")
    return bytes(view[FIXED_SIZE + nlen : FIXED_SIZE + nlen + size])


def _key_for(check: int) -> bytes | None:
    """The storage key a record of this check needs (a key exactly when it is SIGNED); refuses an
    unsigned record when there is a key."""
    key = signing.storage_key()
    if key is not None and check != SIGNED:
        raise UntrustedRecord(_UNSIGNED)
    if key is None and check == SIGNED:
        raise UnreadableRecord(f"the record is signed with a storage key and this process has none: set "
                               f"{signing.KEY_VARIABLE} or {signing.KEY_FILE_VARIABLE} to load it")
    return key


_UNSIGNED = (f"not signed, and this process has a storage key ({signing.KEY_VARIABLE} or "
             f"{signing.KEY_FILE_VARIABLE}): only signed records are loaded")


def _decode_legacy(view: memoryview, nlen: int, length: int) -> tuple[str, memoryview]:
    """Version 1: a CRC32 of the whole record, loaded only by a reader without a key."""
    if signing.storage_key() is not None:
        raise UntrustedRecord(_UNSIGNED)
    start = aligned(FIXED_SIZE + nlen)
    _check_length(len(view), start + length)
    if _crc_of(view) != _CRC.unpack_from(view, 16)[0]:
        raise CorruptRecord("checksum mismatch (the file is damaged)")
    return _name(view, nlen), view[start:]


def _check_header(view: memoryview, nlen: int, start: int) -> None:
    """The header's CRC: damage in it is told from a version this code does not know."""
    if start < FIXED_SIZE + nlen:
        raise CorruptRecord("the header's size field is damaged")
    if len(view) < start:
        raise CorruptRecord(f"truncated: {len(view)} bytes, inside the {start}-byte header")
    if zlib.crc32(view[FIXED_SIZE:start], zlib.crc32(view[:16])) != _CRC.unpack_from(view, 16)[0]:
        raise CorruptRecord("checksum mismatch in the header (the file is damaged)")


def _name(view: memoryview, nlen: int) -> str:
    return bytes(view[FIXED_SIZE : FIXED_SIZE + nlen]).decode("ascii", "replace")


def _crc_of(view: memoryview) -> int:
    head = zlib.crc32(view[:16])
    if len(view) < 1 << 25:
        return zlib.crc32(view[FIXED_SIZE:], head)

    return crc.crc32([view[FIXED_SIZE:]], head)


def _header_fields(record: Buffer) -> tuple[bytes, int, int, int, int, int]:
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
        _, _, nlen, _, _, _ = _header_fields(head)
    except CorruptRecord:
        return "?"
    name = bytes(head[FIXED_SIZE : FIXED_SIZE + nlen])
    return name.decode("ascii", "replace") if len(name) == nlen else "?"
