"""The checksum of large records: CRC32 of per-block sums, at memory speed.

zlib's CRC32 runs at about 2 GB/s on one core here: as slow as the page
cache takes a write, so checking a 400 MB array would double the time to
save or load it. Summing 64-bit words runs at memory speed in NumPy, so a
large payload is checked as: cut into 64 KiB blocks (the last one padded
with zeros to 8 bytes), each block's little-endian uint64 words summed
modulo 2**64, and the CRC32 of that vector of sums. A flipped bit changes
its block's sum; a torn, zeroed or misplaced block changes the vector.

Used (record format version 2) only for payloads of at least MIN bytes
whose writer already has NumPy imported; NumPy is then needed to check them.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from .format import Buffer

BLOCK = 1 << 16
WORDS = BLOCK // 8


def digest(buffers: Sequence[Buffer]) -> int:
    """The digest of the concatenated buffers (block boundaries run across them)."""
    sums = block_sums(buffers)
    return combine([sums]) if len(sums) else 0


def block_sums(views: Sequence[Buffer]) -> np.ndarray:
    """The block sums of consecutive ``views`` that start on a block boundary of the payload.

    A writer sums its payload piece by piece with this: every piece but the
    last must hold whole blocks; the last one's short block is zero-padded.
    """
    summer = BlockSum()
    for view in views:
        summer.update(view)
    return summer.vector()


def combine(sums: Sequence[np.ndarray]) -> int:
    """The digest from the block sums of the payload's pieces, in order."""
    return zlib.crc32(np.concatenate(sums).astype("<u8", copy=False).tobytes()) if len(sums) else 0


class BlockSum:
    """The digest computed piece by piece, the pieces cut anywhere."""

    def __init__(self) -> None:
        self.sums: list[np.ndarray] = []
        self.carry = bytearray()

    def update(self, buf: Buffer) -> None:
        view = memoryview(buf).cast("B") if isinstance(buf, memoryview) and buf.format != "B" else memoryview(buf)
        i = 0
        if self.carry:
            take = min(BLOCK - len(self.carry), len(view))
            self.carry += view[:take]
            i = take
            if len(self.carry) == BLOCK:
                self.sums.append(_sum_blocks(self.carry, 0, 1))
                self.carry = bytearray()
        full = (len(view) - i) // BLOCK
        if full:
            self.sums.append(_sum_blocks(view, i, full))
            i += full * BLOCK
        if i < len(view):
            self.carry += view[i:]

    def vector(self) -> np.ndarray:
        """The sums of the blocks so far, the last one zero-padded if short."""
        sums = list(self.sums)
        if self.carry:
            tail = self.carry + bytes(-len(self.carry) % 8)
            sums.append(np.add.reduce(np.frombuffer(tail, dtype="<u8"), dtype=np.uint64, keepdims=True))
        if len(sums) == 1:
            return sums[0]
        return np.concatenate(sums) if sums else np.zeros(0, np.uint64)


def _sum_blocks(data: Buffer, offset: int, count: int) -> np.ndarray:
    words = np.frombuffer(data, dtype="<u8", count=count * WORDS, offset=offset)
    return np.add.reduce(words.reshape(count, WORDS), axis=1, dtype=np.uint64)
